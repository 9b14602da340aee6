from spectral_inr.cli import console_main

console_main()

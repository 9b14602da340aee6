"""Data loading for INR experiments: coordinate grids, images, audio, video, volumes, Kodak, MNIST.

Conventions: images are float ``(H, W, C)`` in [0, 1]; audio is mono float32 in
[-1, 1]; video is float32 ``(T, H, W, C)`` in [0, 1]; volumes are float32
``(D, H, W, C)`` min–max normalised to [0, 1];
``coordinate_grid((H, W))[i, j] = (y_i, x_j)`` in [-1, 1] ("ij" order).
Downloaded/local dataset files are always sha256-checked.
"""

from ._fetch import ENV_CACHE, ENV_DATA, sha256_file, verify_sha256
from .audio import load_audio, save_audio
from .bikes import BIKES_BASE_URL, BIKES_SHA256, bikes_path, load_bikes
from .errors import DataError
from .grids import coordinate_grid
from .idx import parse_idx, read_idx
from .images import load_image, save_image
from .kodak import KODAK_BASE_URL, KODAK_SHA256, kodak_path, load_kodak
from .mnist import MNIST_BASE_URL, MNIST_SHA256, load_mnist, load_mnist_tfds
from .phantom import SHEPP_LOGAN_3D, shepp_logan_3d
from .split import train_test_split
from .video import load_video
from .volume import load_volume

__all__ = [
    "BIKES_BASE_URL",
    "BIKES_SHA256",
    "ENV_CACHE",
    "ENV_DATA",
    "KODAK_BASE_URL",
    "KODAK_SHA256",
    "MNIST_BASE_URL",
    "MNIST_SHA256",
    "SHEPP_LOGAN_3D",
    "DataError",
    "bikes_path",
    "coordinate_grid",
    "kodak_path",
    "load_audio",
    "load_bikes",
    "load_image",
    "load_kodak",
    "load_mnist",
    "load_mnist_tfds",
    "load_video",
    "load_volume",
    "parse_idx",
    "read_idx",
    "save_audio",
    "save_image",
    "sha256_file",
    "shepp_logan_3d",
    "train_test_split",
    "verify_sha256",
]

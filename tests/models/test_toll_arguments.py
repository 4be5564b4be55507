"""The anomalib Toll refuses a bad image size, input shape or map smoothing when it is made."""

import pytest

pytest.importorskip("anomalib")

from anomalib_toll.models import Toll


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"image_size": [0, 0]}, r"image_size must be 2 integers >= 1, got \[0, 0\]"),
        ({"image_size": 32}, "image_size must be 2 integers"),
        ({"input_shape": [0, 8, 8]}, r"input_shape must be 3 integers >= 1, got \[0, 8, 8\]"),
        ({"input_shape": [8, 8]}, "input_shape must be 3 integers"),
        ({"sigma": float("nan")}, "sigma must be a finite number >= 0, got nan"),
        ({"sigma": -1.0}, "sigma must be a finite number >= 0, got -1.0"),
    ],
)
def test_toll_refuses_bad_shapes_and_sigma_when_made(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Toll(**kwargs)


def test_toll_takes_good_shapes_and_no_smoothing():
    model = Toll(image_size=[16, 16], input_shape=[1, 16, 16], sigma=0.0)
    assert list(model.image_size) == [16, 16]
    assert model.model.sigma == 0.0

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture
def jpeg():
    """A real JPEG photo as an upload: jpeg(name="x.jpg", size=(64, 48), orientation=None)."""

    def make(name="photo.jpg", size=(64, 48), orientation=None, colour=(200, 30, 30)):
        image = Image.new("RGB", size, colour)
        exif = Image.Exif()
        if orientation:
            exif[0x0112] = orientation
        out = io.BytesIO()
        image.save(out, "JPEG", exif=exif)
        return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")

    return make


@pytest.fixture
def wulibao_household(register, wulibao_community):
    """A household of 五里堡, registered by its subdistrict administrator."""
    return register("wulibao_admin", wulibao_community, head_name="王建国")

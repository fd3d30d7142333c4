"""Photos from phones: checked by content, oriented, re-encoded, stored under server-made names.

A photo is checked completely (`photo_check`) before anything of its submission is written, so a bad
file refuses the whole submission and saves nothing. Re-encoding keeps the pixels only: the oriented image is
copied into a new image that carries no metadata at all, so no EXIF, XMP, ICC profile or JPEG comment (where
a file could hide PHP or script text, or the phone's owner and model) reaches the stored photo or its
thumbnail. The capture time and GPS position the phone wrote are read first and kept as fields of the Photo
row, never in the file.
"""

from __future__ import annotations

import datetime
import io
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .models import Photo

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 50_000_000  # a 50-megapixel photo decoded whole; PNG and WebP larger are refused
# A JPEG is decoded at a fraction of its size when it is larger (JPEG's own scaled decoding, Pillow's draft):
# phones' 108-megapixel modes take photos a clerk must be able to send. Past this, it is refused all the same
# (and Pillow refuses past twice its own 89-megapixel limit as a decompression bomb).
MAX_JPEG_PIXELS = 150_000_000
GPS_TAG = 0x8825
EXIF_TAG = 0x8769
DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL, DATE_TIME = 0x9003, 0x9011, 0x0132
EARLIEST_CAPTURE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)  # before it: a camera clock never set


@dataclass
class CheckedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    latitude: Decimal | None
    longitude: Decimal | None
    taken_at: datetime.datetime | None = None


def _gps(exif) -> tuple[Decimal | None, Decimal | None]:
    try:
        gps = exif.get_ifd(GPS_TAG)
        lat, lat_ref, lon, lon_ref = gps[2], gps[1], gps[4], gps[3]
    except (KeyError, AttributeError, TypeError, ValueError):
        return None, None

    def degrees(dms, ref) -> Decimal:
        value = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
        return Decimal(f"{-value if ref in ('S', 'W') else value:.6f}")

    try:
        latitude, longitude = degrees(lat, lat_ref), degrees(lon, lon_ref)
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    # Garbage in the tags (no fix, a broken camera) is no position, not a number that overflows the column.
    if not (latitude.is_finite() and longitude.is_finite() and abs(latitude) <= 90 and abs(longitude) <= 180):
        return None, None
    return latitude, longitude


def _taken_at(exif) -> datetime.datetime | None:
    """When the photo was taken, as the phone wrote it: DateTimeOriginal with its offset if given, else in the
    site's time zone (phones write local time). A clock never set or set ahead is no capture time."""
    try:
        details = exif.get_ifd(EXIF_TAG)
        text = str(details.get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME) or "").strip("\x00 ")
        offset = str(details.get(OFFSET_TIME_ORIGINAL) or "").strip("\x00 ")
        if not text:
            return None
        moment = datetime.datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
        if offset:
            moment = datetime.datetime.strptime(f"{text} {offset}", "%Y:%m:%d %H:%M:%S %z")
        else:
            moment = timezone.make_aware(moment)
    except (AttributeError, KeyError, TypeError, ValueError, OverflowError):
        return None
    if not EARLIEST_CAPTURE <= moment <= timezone.now() + datetime.timedelta(days=1):
        return None
    return moment


def _pixels_only(image: Image.Image) -> Image.Image:
    """The image without what it carried beside its pixels (comment, EXIF, XMP, ICC profile): Pillow writes a
    JPEG comment or XMP it read back into the re-encoded file from `image.info`. `image` is already a converted
    copy, so emptying its info touches nothing else, and no copy of the pixels is made on the phone's path."""
    image.info = {}
    return image


def _jpeg(image: Image.Image, side: int) -> tuple[bytes, tuple[int, int]]:
    """The image as stored, at most `side` pixels on its longer side: its JPEG bytes and its size."""
    copy = image.copy()
    copy.thumbnail((side, side))
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), copy.size


def photo_check(upload) -> CheckedPhoto:
    """Check one uploaded file and prepare what will be stored; raise ValidationError if it is no photo."""
    name = getattr(upload, "name", "") or _("photo")
    if upload.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is %(size).1f MB; a photo may be at most %(limit)d MB.")
            % {"name": name, "size": upload.size / 1024 / 1024, "limit": settings.PHOTO_MAX_BYTES // 1024 // 1024},
            code="photo_too_large",
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise UnidentifiedImageError(probe.format)
            pixels, scaled = probe.width * probe.height, probe.format == "JPEG"
            if pixels > (MAX_JPEG_PIXELS if scaled else MAX_PIXELS):
                limit = (MAX_JPEG_PIXELS if scaled else MAX_PIXELS) // 1_000_000
                raise ValidationError(
                    _(
                        "%(name)s has %(pixels)d megapixels; a photo may have at most %(limit)d. Take it at a lower "
                        "resolution."
                    )
                    % {"name": name, "pixels": pixels // 1_000_000, "limit": limit},
                    code="photo_too_many_pixels",
                )
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if pixels > MAX_PIXELS:  # a JPEG: decoded at the half, quarter or eighth that still fills a stored photo
                image.draft("RGB", (settings.PHOTO_MAX_SIDE, settings.PHOTO_MAX_SIDE))
            exif = image.getexif()
            latitude, longitude = _gps(exif)
            taken_at = _taken_at(exif)
            image = _pixels_only(ImageOps.exif_transpose(image).convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": name}, code="photo_invalid"
        ) from exc
    stored, (width, height) = _jpeg(image, settings.PHOTO_MAX_SIDE)
    # The size of the photo as stored and served (a 4000 × 3000 upload is kept at 2048 × 1536), not the upload's.
    return CheckedPhoto(
        image=stored,
        thumbnail=_jpeg(image, settings.PHOTO_THUMBNAIL_SIDE)[0],
        width=width,
        height=height,
        latitude=latitude,
        longitude=longitude,
        taken_at=taken_at,
    )


def photos_check(uploads) -> list[CheckedPhoto]:
    return [photo_check(upload) for upload in uploads]


# The files written under `photo_files_removed_on_failure`, so that they can be removed if its block fails.
_WRITTEN: ContextVar[list | None] = ContextVar("photo_files_written", default=None)


@contextmanager
def photo_files_removed_on_failure():
    """Remove the photo files written inside the block when it fails (its transaction rolled back).

    A record's photos are written to storage inside its transaction; a rollback takes the rows back but not the
    files. A repeated phone submission does exactly that (its visit is refused by the unique client_uuid and
    answered with the first), and left two files per photo for the nightly sweep each time a phone resent."""
    names: list = []
    token = _WRITTEN.set(names)
    try:
        yield
    except BaseException:
        for name in names:
            default_storage.delete(name)
        raise
    finally:
        _WRITTEN.reset(token)


def photos_attach(*, actor, subject: models.Model, division_code: str, photos: list[CheckedPhoto]) -> list[Photo]:
    """Store checked photos for a record. Called inside the record's transaction."""
    stored = []
    content_type = ContentType.objects.get_for_model(subject)
    written = _WRITTEN.get()
    for checked in photos:
        key = uuid.uuid4().hex
        photo = Photo(
            content_type=content_type,
            object_id=subject.pk,
            division_code=division_code,
            width=checked.width,
            height=checked.height,
            taken_latitude=checked.latitude,
            taken_longitude=checked.longitude,
            taken_at=checked.taken_at,
            uploaded_by=actor,
        )
        for field, content in ((photo.image, checked.image), (photo.thumbnail, checked.thumbnail)):
            field.save(f"{key}.jpg", ContentFile(content), save=False)
            if written is not None:
                written.append(field.name)
        photo.save()
        stored.append(photo)
    return stored


PHOTO_DIRECTORY = "photos"


def photos_sweep_orphans(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Delete the photo files that no Photo row names and that were written more than `older_than` ago.

    A submission writes its photo files inside its transaction; if the transaction then fails (a database
    error, a lost race), the rows are gone and the files stay. Files younger than `older_than` are left
    alone: they may belong to a transaction still open. Returns the number of files deleted.
    """
    known = set()
    for image, thumbnail in Photo.objects.values_list("image", "thumbnail").iterator(chunk_size=10000):
        known.update((image, thumbnail))
    cutoff = timezone.now() - older_than
    deleted = 0
    folders = [PHOTO_DIRECTORY]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        folders.extend(f"{folder}/{name}" for name in subfolders)
        for name in files:
            path = f"{folder}/{name}"
            if path not in known and default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                deleted += 1
    return deleted

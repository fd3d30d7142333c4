"""Field-work pages. Photos are served here, through jurisdiction, never as public media."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404

from .models import Photo


def _photo_file(request, pk: int, field: str) -> FileResponse:
    photo = get_object_or_404(Photo.objects.visible_to(request.user), pk=pk)
    response = FileResponse(getattr(photo, field).open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
def photo(request, pk: int):
    return _photo_file(request, pk, "image")


@login_required
def photo_thumbnail(request, pk: int):
    return _photo_file(request, pk, "thumbnail")

import django.middleware.common
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise.

    Django's LocaleMiddleware follows the browser's Accept-Language, so an office PC with an English
    system would get an English UI. Here only the language the user picked (the footer's switch sets
    the language cookie) overrides the default, zh-hans.

    The API's other clients (a program with a token) have no footer: they ask with Accept-Language. A request
    from a browser signed in to the site (it carries the session cookie, as the phone page's calls do) speaks
    the site's language instead, so the phone page never shows English errors inside a Chinese page.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen and translation.check_for_language(chosen):
            language = translation.get_supported_language_variant(chosen)
        elif is_api(request) and settings.SESSION_COOKIE_NAME not in request.COOKIES:
            language = translation.get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def is_api(request) -> bool:
    """A request to the API (/api/…), which answers JSON whatever went wrong, never one of the site's pages."""
    return request.path_info == "/api" or request.path_info.startswith("/api/")


class CommonMiddleware(django.middleware.common.CommonMiddleware):
    """Django's, except that a write to the API at an address without its closing slash is not redirected.

    A redirect of a POST is followed as a GET by browsers and most HTTP clients: the phone would read the list
    it lands on as a 200 and take its visit as sent. Such a write answers the API's JSON 404 instead, and stores
    nothing.
    """

    def should_redirect_with_slash(self, request):
        if is_api(request) and request.method not in ("GET", "HEAD", "OPTIONS"):
            return False
        return super().should_redirect_with_slash(request)

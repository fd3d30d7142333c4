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

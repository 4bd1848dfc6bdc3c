"""What the gateway says to the browser, in French."""
from __future__ import annotations

from bot.settings import ContactSettings

BAD_REQUEST = "Requête invalide."
CSRF = ("Requête refusée : jeton de sécurité absent ou périmé. "
        "Rechargez la page puis réessayez.")
TOO_LARGE = "Requête trop volumineuse (16 Kio au plus)."
CONTENT_TYPE = "Format refusé : envoyez du JSON (Content-Type: application/json)."
INVALID_JSON = "Requête illisible : un objet JSON est attendu."
EMPTY_MESSAGE = "Le message est vide : écrivez votre question."
MESSAGE_TOO_LONG = "Message trop long : 2 000 caractères au plus."
LOGIN_FIELDS = "Indiquez votre identifiant et votre mot de passe."
BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
TOO_MANY_ATTEMPTS = ("Trop de tentatives de connexion. "
                     "Réessayez dans un quart d'heure.")
UNEXPECTED = "Erreur inattendue. Réessayez dans un instant."
HTTP_ERRORS = {404: "Page introuvable.", 405: "Méthode non autorisée.",
               413: TOO_LARGE}


def unavailable(contact: ContactSettings) -> str:
    return ("L'assistant ne répond pas pour le moment. Réessayez dans quelques minutes, "
            f"ou {contact.sentence()}.")

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
BAD_MESSAGE_ID = "Requête invalide : identifiant de message incorrect. Rechargez la page."
BAD_LABEL = "Requête invalide : libellé de bouton incorrect. Rechargez la page."
BAD_FEEDBACK = "Avis invalide : « up » ou « down » attendu pour une réponse donnée."
UNKNOWN_ANSWER = "Cette réponse n'est plus dans la conversation : rechargez la page."
LOGIN_FOR_PLANNING = "Connectez-vous pour voir votre planning."
LINK_TITLE = "Connexion depuis le site d'AMPER"
LINK_DISABLED = ("La connexion par lien n'est pas activée. Connectez-vous avec votre numéro "
                 "de client et votre mot de passe.")
LINK_UNKNOWN_CLIENT = ("Ce lien ne correspond à aucun client connu. Connectez-vous avec votre "
                       "numéro de client et votre mot de passe, ou appelez le bureau AMPER.")
STAFF_LOGIN = "Connectez-vous avec un compte conseiller."
STAFF_ONLY = "Réservé aux conseillers."
SEARCH_QUERY = "Indiquez un numéro, un nom ou un téléphone (100 caractères au plus)."
CLIENT_NOT_OPENED = "Ouvrez d'abord le dossier de ce client (recherche de client)."
CALLBACK_FIELDS = "Indiquez le numéro à rappeler, le moment préféré et le sujet."
LABEL_FIELDS = "Choisissez des questions et un sujet."
UNEXPECTED = "Erreur inattendue. Réessayez dans un instant."
HTTP_ERRORS = {404: "Page introuvable.", 405: "Méthode non autorisée.",
               413: TOO_LARGE}


def unavailable(contact: ContactSettings) -> str:
    return ("L'assistant ne répond pas pour le moment. Réessayez dans quelques minutes, "
            f"ou {contact.sentence()}.")


def callback_recorded(reference: str) -> str:
    return f"Demande de rappel {reference} enregistrée : elle est transmise au bureau de secteur."


# --- the sector office's API (/api/bureau/…, docs/office-contract.md) ----------------------
OFFICE_LOGIN = "Connectez-vous avec un compte de bureau de secteur."
OFFICE_ONLY = "Réservé aux bureaux de secteur."
OFFICE_NOT_FOUND = "Demande introuvable dans vos secteurs."


# --- the sector office's page (/bureau) -------------------------------------------------------

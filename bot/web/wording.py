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
TURN_LOST = ("Le message n'a pas pu être traité. Réessayez : rien n'a été enregistré "
             "en double.")
STATE_UNAVAILABLE = ("Service momentanément indisponible. Réessayez dans quelques instants.")
NOT_READY_STORE = "La base de réservations ne répond pas."
NOT_READY_REDIS = "Redis ne répond pas (sessions partagées des passerelles)."
NOT_READY_RASA = "Aucune instance de Rasa n'est prête."
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
OFFICE_FILTERS = ("Filtre invalide : vérifiez le statut, le type et le client "
                  "(100 caractères au plus).")
OFFICE_BAD_DATE = "Date invalide : AAAA-MM-JJ attendu (par exemple 2026-12-08)."
OFFICE_BAD_MONTH = "Mois invalide : AAAA-MM attendu (par exemple 2026-12)."
OFFICE_BAD_DECISION = ("Décision inconnue : acknowledge, accept, refuse ou grant_exemption "
                       "attendu.")
OFFICE_BAD_VERSION = "Version invalide : renvoyez la version affichée (un nombre entier)."
OFFICE_BAD_REASON = "Motif invalide : choisissez un motif de refus dans la liste."
OFFICE_BAD_NOTE = "Précision invalide : un texte de 200 caractères au plus."
OFFICE_TOO_MANY_STREAMS = ("Trop d'onglets du bureau ouverts : fermez-en un, puis rechargez "
                           "la page.")
WEBHOOK_SIGNATURE = ("Signature absente, périmée ou invalide : signez « horodatage.corps » "
                     "avec le secret du secteur (docs/forwarding.md).")
WEBHOOK_FIELDS = ("Corps invalide : « reference » et « decision » attendus ; « reason », "
                  "« note » et « actor » (60 caractères au plus) sont des textes facultatifs.")
WEBHOOK_NOT_FOUND = "Demande introuvable."


def office_system(sector: str, actor: str = "") -> str:
    """Who decided through the office's own system (the history's « par … »)."""
    system = f"système du bureau {sector}" if sector else "système du bureau de secteur"
    return f"{system} ({actor})" if actor else system


# --- the sector office's page (/bureau) -------------------------------------------------------
#: The page's title and heading before the login (the script then says which office).
OFFICE_PAGE_TITLE = "Demandes — AMPER bureau"
#: The « Statut » filter: value sent as ``statut`` (docs/office-contract.md), French label.
OFFICE_STATUS_FILTERS = (
    ("open", "En cours"),
    ("received", "Reçues"),
    ("forwarded", "Transmises"),
    ("acknowledged", "Prises en compte"),
    ("closed", "Traitées"),
    ("done", "Acceptées"),
    ("refused", "Refusées"),
    ("all", "Toutes"),
)
#: The « Type » filter: value sent as ``type``, French label ("" = every type).
OFFICE_KIND_FILTERS = (
    ("", "Tous"),
    ("cancellation", "Annulation"),
    ("schedule_change", "Changement d'horaire"),
)
#: Every sentence the page's scripts show (bureau*.js), given to them as JSON.
OFFICE_PAGE_TEXTS = {
    "titleCount": "({count}) Demandes — AMPER bureau",
    "title": OFFICE_PAGE_TITLE,
    "heading": "Demandes du bureau {sectors}",
    "headingOut": "Demandes du bureau de secteur",
    "and": " et ",
    "who": "Connecté : {login} – {sectors}",
    "sectorOne": "secteur {list}",
    "sectorMany": "secteurs {list}",
    "loggedIn": "Connexion réussie.",
    "loggedOut": "Déconnexion effectuée.",
    "loginFailed": "La connexion a échoué. Réessayez dans un instant.",
    "loginAgain": "Votre session a pris fin : reconnectez-vous.",
    "officeOnly": ("Cette page est réservée aux bureaux de secteur. Connectez-vous avec "
                   "l'identifiant de votre bureau (par exemple bureau.nord)."),
    "staffHere": ("Cette page est réservée aux bureaux de secteur. Avec un compte de "
                  "l'accueil téléphonique, utilisez le poste conseiller (/conseiller)."),
    "clientHere": ("Cette page est réservée aux bureaux de secteur. Pour vos demandes, "
                   "utilisez la page d'accueil de l'assistant AMPER."),
    "startFailed": ("La page n'a pas pu s'ouvrir : la connexion a échoué. "
                    "Cliquez sur « Réessayer »."),
    "listFailed": "La liste ne peut pas être affichée pour le moment. Réessayez.",
    "listLoading": "Chargement de la liste…",
    "listNone": "Aucune demande pour ces filtres.",
    "listCount": "{count} demande(s) affichée(s), dont {open} en cours.",
    "openButton": "Ouvrir ",
    "clientCell": "{name} (n° {number})",
    "newSlot": "Nouveau créneau : {slot}",
    "detailFailed": "La demande ne peut pas être affichée pour le moment. Réessayez.",
    "detailTitle": "Demande {reference}",
    "detailNone": "Choisissez une demande dans la liste pour l'ouvrir.",
    "fieldAsked": "Demande",
    "fieldClient": "Client",
    "fieldIntervention": "Intervention",
    "fieldNewSlot": "Nouveau créneau",
    "fieldRule": "Règle",
    "fieldBilling": "Facturation",
    "fieldReason": "Motif donné",
    "fieldChannel": "Reçue par",
    "fieldReceived": "Reçue le",
    "fieldActor": "Saisie par",
    "fieldStatus": "État",
    "fieldDecision": "Décision",
    "fieldRefusal": "Motif du refus",
    "fieldNote": "Précision",
    "decided": "{outcome} par {actor}, {when}",
    "history": "Historique",
    "historyNone": "Aucun changement pour le moment.",
    "historyLine": "{when} – {actor} : {what}",
    "decisionsNone": "Plus aucune décision possible : la demande est traitée.",
    "decisionsHeading": "Décision",
    "acknowledge": "Prendre en compte",
    "accept": "Accepter",
    "refuse": "Refuser",
    "grant_exemption": "Exemption accordée",
    "chooseReason": "Choisir un motif",
    "reasonMissing": "Choisissez le motif du refus.",
    "noteTooLong": "La précision fait plus de 200 caractères : raccourcissez-la.",
    "sending": "Envoi de la décision…",
    "decisionFailed": "La décision n'a pas pu être envoyée : la connexion a échoué. Réessayez.",
    "decisionDone": "Décision enregistrée.",
    "changedMeanwhile": "Cette demande vient d'être modifiée : vérifiez-la avant de décider.",
    "newRequest": "Nouvelle demande : {reference}",
    "newRequests": "Nouvelles demandes : {references}",
    "liveLost": "Mise à jour en direct interrompue, nouvelle tentative…",
    "summaryTitle": "Synthèse de {label}",
    "summaryFailed": "La synthèse ne peut pas être affichée pour le moment. Réessayez.",
    "summaryNone": "Aucune demande pour ce mois.",
    "summaryTotal": "Total : {total} demande(s).",
    "summaryBilled": "Annulations tardives facturées",
    "summaryBilledNone": "Aucune annulation tardive facturée ce mois-ci.",
    "summaryBilledLine": "{reference} – {client} – {intervention} : {decided}",
    "monthMissing": "Choisissez un mois (AAAA-MM).",
}

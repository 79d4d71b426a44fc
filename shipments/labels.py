"""What each normalized status is called, and what it means for the customer, in every supported language.

One table shared by the tracking page and the emails, so both always say the same thing.
"""

from carriers.types import Status

SUPPORTED_LANGUAGES = ("pl", "en", "de", "cs", "sk")
DEFAULT_LANGUAGE = "en"

# (label, one-line explanation for the customer)
STATUS_TEXT: dict[str, dict[Status, tuple[str, str]]] = {
    "en": {
        Status.PENDING: ("Order received", "We are preparing your parcel."),
        Status.INFO_RECEIVED: ("Label created", "The carrier has the parcel's details and is waiting to pick it up."),
        Status.IN_TRANSIT: ("On its way", "Your parcel is travelling through the carrier's network."),
        Status.OUT_FOR_DELIVERY: ("Out for delivery", "The courier is bringing your parcel today."),
        Status.AVAILABLE_FOR_PICKUP: ("Ready for pickup", "Your parcel is waiting for you at the pickup point."),
        Status.FAILED_ATTEMPT: ("Delivery attempt failed", "The courier could not deliver; check what to do next."),
        Status.EXCEPTION: ("Problem with delivery", "Something went wrong on the way; we are on it."),
        Status.DELIVERED: ("Delivered", "Your parcel has been delivered. Enjoy!"),
        Status.RETURNING_TO_SENDER: ("Returning to the shop", "The parcel is on its way back to the shop."),
        Status.RETURNED_TO_SENDER: ("Returned to the shop", "The parcel is back at the shop."),
        Status.CANCELLED: ("Cancelled", "This shipment was cancelled."),
        Status.EXPIRED: ("No recent updates", "The carrier has not reported anything for a long time."),
    },
    "pl": {
        Status.PENDING: ("Zamówienie przyjęte", "Przygotowujemy Twoją paczkę."),
        Status.INFO_RECEIVED: ("Etykieta utworzona", "Przewoźnik ma dane paczki i czeka na jej odbiór."),
        Status.IN_TRANSIT: ("W drodze", "Twoja paczka jest w sieci przewoźnika."),
        Status.OUT_FOR_DELIVERY: ("W doręczeniu", "Kurier dostarczy dziś Twoją paczkę."),
        Status.AVAILABLE_FOR_PICKUP: ("Gotowa do odbioru", "Paczka czeka na Ciebie w punkcie odbioru."),
        Status.FAILED_ATTEMPT: ("Nieudana próba doręczenia", "Kurier nie mógł doręczyć paczki; sprawdź, co dalej."),
        Status.EXCEPTION: ("Problem z doręczeniem", "Coś poszło nie tak po drodze; zajmujemy się tym."),
        Status.DELIVERED: ("Doręczona", "Paczka została doręczona. Miłego korzystania!"),
        Status.RETURNING_TO_SENDER: ("Wraca do sklepu", "Paczka jest w drodze powrotnej do sklepu."),
        Status.RETURNED_TO_SENDER: ("Zwrócona do sklepu", "Paczka wróciła do sklepu."),
        Status.CANCELLED: ("Anulowana", "Ta przesyłka została anulowana."),
        Status.EXPIRED: ("Brak nowych informacji", "Przewoźnik od dawna nie przekazał żadnych informacji."),
    },
    "de": {
        Status.PENDING: ("Bestellung eingegangen", "Wir bereiten dein Paket vor."),
        Status.INFO_RECEIVED: ("Versandetikett erstellt", "Der Zusteller hat die Paketdaten und holt es bald ab."),
        Status.IN_TRANSIT: ("Unterwegs", "Dein Paket ist im Netz des Zustellers unterwegs."),
        Status.OUT_FOR_DELIVERY: ("In Zustellung", "Dein Paket wird heute zugestellt."),
        Status.AVAILABLE_FOR_PICKUP: ("Abholbereit", "Dein Paket wartet in der Abholstelle auf dich."),
        Status.FAILED_ATTEMPT: ("Zustellversuch fehlgeschlagen", "Das Paket konnte nicht zugestellt werden."),
        Status.EXCEPTION: ("Problem bei der Zustellung", "Unterwegs ist etwas schiefgelaufen; wir kümmern uns."),
        Status.DELIVERED: ("Zugestellt", "Dein Paket wurde zugestellt. Viel Freude damit!"),
        Status.RETURNING_TO_SENDER: ("Rücksendung an den Shop", "Das Paket ist auf dem Rückweg zum Shop."),
        Status.RETURNED_TO_SENDER: ("An den Shop zurückgesendet", "Das Paket ist wieder beim Shop."),
        Status.CANCELLED: ("Storniert", "Diese Sendung wurde storniert."),
        Status.EXPIRED: ("Keine neuen Informationen", "Der Zusteller meldet seit Langem nichts Neues."),
    },
    "cs": {
        Status.PENDING: ("Objednávka přijata", "Připravujeme vaši zásilku."),
        Status.INFO_RECEIVED: ("Štítek vytvořen", "Dopravce má údaje o zásilce a čeká na její převzetí."),
        Status.IN_TRANSIT: ("Na cestě", "Vaše zásilka je v síti dopravce."),
        Status.OUT_FOR_DELIVERY: ("V doručování", "Kurýr vám dnes zásilku doručí."),
        Status.AVAILABLE_FOR_PICKUP: ("Připravena k vyzvednutí", "Zásilka na vás čeká na výdejním místě."),
        Status.FAILED_ATTEMPT: ("Neúspěšný pokus o doručení", "Kurýr zásilku nemohl doručit; podívejte se, co dál."),
        Status.EXCEPTION: ("Problém s doručením", "Cestou se něco pokazilo; řešíme to."),
        Status.DELIVERED: ("Doručeno", "Vaše zásilka byla doručena. Ať udělá radost!"),
        Status.RETURNING_TO_SENDER: ("Vrací se do obchodu", "Zásilka je na cestě zpět do obchodu."),
        Status.RETURNED_TO_SENDER: ("Vrácena do obchodu", "Zásilka je zpět v obchodě."),
        Status.CANCELLED: ("Zrušeno", "Tato zásilka byla zrušena."),
        Status.EXPIRED: ("Žádné nové informace", "Dopravce dlouho nic nehlásil."),
    },
    "sk": {
        Status.PENDING: ("Objednávka prijatá", "Pripravujeme vašu zásielku."),
        Status.INFO_RECEIVED: ("Štítok vytvorený", "Dopravca má údaje o zásielke a čaká na jej prevzatie."),
        Status.IN_TRANSIT: ("Na ceste", "Vaša zásielka je v sieti dopravcu."),
        Status.OUT_FOR_DELIVERY: ("V doručovaní", "Kuriér vám dnes zásielku doručí."),
        Status.AVAILABLE_FOR_PICKUP: ("Pripravená na vyzdvihnutie", "Zásielka na vás čaká na výdajnom mieste."),
        Status.FAILED_ATTEMPT: ("Neúspešný pokus o doručenie", "Kuriér zásielku nemohol doručiť; pozrite, čo ďalej."),
        Status.EXCEPTION: ("Problém s doručením", "Cestou sa niečo pokazilo; riešime to."),
        Status.DELIVERED: ("Doručené", "Vaša zásielka bola doručená. Nech vám robí radosť!"),
        Status.RETURNING_TO_SENDER: ("Vracia sa do obchodu", "Zásielka je na ceste späť do obchodu."),
        Status.RETURNED_TO_SENDER: ("Vrátená do obchodu", "Zásielka je späť v obchode."),
        Status.CANCELLED: ("Zrušené", "Táto zásielka bola zrušená."),
        Status.EXPIRED: ("Žiadne nové informácie", "Dopravca dlho nič nehlásil."),
    },
}


def language_or_default(language: str | None) -> str:
    """``language`` if we support it (``pl-PL`` counts as ``pl``), else English."""
    short = (language or "").split("-")[0].split("_")[0].lower()
    return short if short in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def status_label(status: str, language: str | None) -> str:
    """The customer-facing name of ``status`` in ``language``."""
    return STATUS_TEXT[language_or_default(language)][Status(status)][0]


def status_explanation(status: str, language: str | None) -> str:
    """One sentence telling the customer what ``status`` means for them."""
    return STATUS_TEXT[language_or_default(language)][Status(status)][1]

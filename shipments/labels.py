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


# What a reason adds for the customer; replaces the status's generic explanation when known.
REASON_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "picked_up": "The carrier has picked up your parcel.",
        "customs": "Your parcel is going through customs clearance.",
        "delayed": "Your parcel is delayed on its way; the carrier is working on it.",
        "redirected": "Your parcel has been redirected to a new delivery place.",
        "address_problem": "The carrier has a problem with the delivery address; please contact us.",
        "recipient_absent": "Nobody was there to take the parcel; the carrier will try again or leave a notice.",
        "refused": "The parcel was refused at delivery.",
        "lost": "The carrier cannot find your parcel; we are on it and will contact you.",
        "damaged": "Your parcel was damaged on its way; we are on it and will contact you.",
        "oversized": "The parcel does not fit the locker; the carrier will deliver it another way.",
        "pickup_expired": "The time to collect the parcel has run out; it goes back to the shop.",
        "pickup_reminder": "Your parcel is still waiting for you at the pickup point.",
    },
    "pl": {
        "picked_up": "Przewoźnik odebrał Twoją paczkę.",
        "customs": "Twoja paczka przechodzi odprawę celną.",
        "delayed": "Paczka jest opóźniona w drodze; przewoźnik nad tym pracuje.",
        "redirected": "Paczka została przekierowana do nowego miejsca doręczenia.",
        "address_problem": "Przewoźnik ma problem z adresem doręczenia; skontaktuj się z nami.",
        "recipient_absent": "Nikt nie odebrał paczki; przewoźnik spróbuje ponownie lub zostawi awizo.",
        "refused": "Odmówiono przyjęcia paczki przy doręczeniu.",
        "lost": "Przewoźnik nie może odnaleźć paczki; zajmujemy się tym i odezwiemy się.",
        "damaged": "Paczka uszkodziła się w drodze; zajmujemy się tym i odezwiemy się.",
        "oversized": "Paczka nie mieści się w paczkomacie; przewoźnik doręczy ją inaczej.",
        "pickup_expired": "Minął czas na odbiór paczki; wraca do sklepu.",
        "pickup_reminder": "Paczka wciąż czeka na Ciebie w punkcie odbioru.",
    },
    "de": {
        "picked_up": "Der Zusteller hat dein Paket abgeholt.",
        "customs": "Dein Paket wird gerade verzollt.",
        "delayed": "Dein Paket verspätet sich unterwegs; der Zusteller kümmert sich darum.",
        "redirected": "Dein Paket wurde an einen neuen Zustellort umgeleitet.",
        "address_problem": "Es gibt ein Problem mit der Lieferadresse; bitte kontaktiere uns.",
        "recipient_absent": "Niemand war da; der Zusteller versucht es erneut oder hinterlässt eine Nachricht.",
        "refused": "Die Annahme des Pakets wurde verweigert.",
        "lost": "Der Zusteller findet dein Paket nicht; wir kümmern uns und melden uns.",
        "damaged": "Dein Paket wurde unterwegs beschädigt; wir kümmern uns und melden uns.",
        "oversized": "Das Paket passt nicht in die Packstation; es wird anders zugestellt.",
        "pickup_expired": "Die Abholfrist ist abgelaufen; das Paket geht zurück an den Shop.",
        "pickup_reminder": "Dein Paket wartet noch in der Abholstelle auf dich.",
    },
    "cs": {
        "picked_up": "Dopravce převzal vaši zásilku.",
        "customs": "Vaše zásilka prochází celním odbavením.",
        "delayed": "Zásilka má cestou zpoždění; dopravce to řeší.",
        "redirected": "Zásilka byla přesměrována na nové místo doručení.",
        "address_problem": "Dopravce má problém s doručovací adresou; kontaktujte nás prosím.",
        "recipient_absent": "Nikdo zásilku nepřevzal; dopravce to zkusí znovu nebo zanechá oznámení.",
        "refused": "Převzetí zásilky bylo odmítnuto.",
        "lost": "Dopravce zásilku nemůže najít; řešíme to a ozveme se.",
        "damaged": "Zásilka se cestou poškodila; řešíme to a ozveme se.",
        "oversized": "Zásilka se nevejde do boxu; dopravce ji doručí jinak.",
        "pickup_expired": "Lhůta pro vyzvednutí uplynula; zásilka se vrací do obchodu.",
        "pickup_reminder": "Zásilka na vás stále čeká na výdejním místě.",
    },
    "sk": {
        "picked_up": "Dopravca prevzal vašu zásielku.",
        "customs": "Vaša zásielka prechádza colným konaním.",
        "delayed": "Zásielka má cestou meškanie; dopravca to rieši.",
        "redirected": "Zásielka bola presmerovaná na nové miesto doručenia.",
        "address_problem": "Dopravca má problém s doručovacou adresou; kontaktujte nás, prosím.",
        "recipient_absent": "Nikto zásielku neprevzal; dopravca to skúsi znova alebo nechá oznámenie.",
        "refused": "Prevzatie zásielky bolo odmietnuté.",
        "lost": "Dopravca zásielku nemôže nájsť; riešime to a ozveme sa.",
        "damaged": "Zásielka sa cestou poškodila; riešime to a ozveme sa.",
        "oversized": "Zásielka sa nezmestí do boxu; dopravca ju doručí inak.",
        "pickup_expired": "Lehota na vyzdvihnutie uplynula; zásielka sa vracia do obchodu.",
        "pickup_reminder": "Zásielka na vás stále čaká na výdajnom mieste.",
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


def reason_explanation(reason: str, language: str | None) -> str:
    """What ``reason`` means for the customer in ``language``; empty when we have nothing specific to say."""
    return REASON_TEXT[language_or_default(language)].get(reason or "", "")


def shipment_explanation(status: str, reason: str, language: str | None) -> str:
    """The reason's explanation when there is one, else the status's: what the page and emails tell the customer."""
    return reason_explanation(reason, language) or status_explanation(status, language)

"""The tracking page's own words in every supported language (status names come from ``shipments.labels``).

A plain table rather than gettext catalogs: the page renders in the customer's language, not the
request's, and a table needs no compile step in deployment. A missing translation falls back to English.
"""

from shipments.labels import language_or_default

LANGUAGE_NAMES = {"pl": "Polski", "en": "English", "de": "Deutsch", "cs": "Čeština", "sk": "Slovenčina"}

TEXTS: dict[str, dict[str, str]] = {
    "skip_to_content": {
        "en": "Skip to main content",
        "pl": "Przejdź do treści",
        "de": "Zum Inhalt springen",
        "cs": "Přejít k obsahu",
        "sk": "Prejsť na obsah",
    },
    "language": {"en": "Language", "pl": "Język", "de": "Sprache", "cs": "Jazyk", "sk": "Jazyk"},
    "order_title": {
        "en": "Order {number}",
        "pl": "Zamówienie {number}",
        "de": "Bestellung {number}",
        "cs": "Objednávka {number}",
        "sk": "Objednávka {number}",
    },
    "parcel_title": {
        "en": "Your parcel",
        "pl": "Twoja paczka",
        "de": "Dein Paket",
        "cs": "Vaše zásilka",
        "sk": "Vaša zásielka",
    },
    "placed_on": {
        "en": "Ordered on {date}",
        "pl": "Zamówione {date}",
        "de": "Bestellt am {date}",
        "cs": "Objednáno {date}",
        "sk": "Objednané {date}",
    },
    "delivery_to": {
        "en": "Delivery to {place}",
        "pl": "Dostawa do: {place}",
        "de": "Lieferung nach {place}",
        "cs": "Doručení do: {place}",
        "sk": "Doručenie do: {place}",
    },
    "split_note": {
        "en": "Your order travels in {count} parcels.",
        "pl": "Twoje zamówienie jedzie w {count} paczkach.",
        "de": "Deine Bestellung kommt in {count} Paketen.",
        "cs": "Vaše objednávka cestuje v {count} zásilkách.",
        "sk": "Vaša objednávka cestuje v {count} zásielkach.",
    },
    "parcel_n_of_m": {
        "en": "Parcel {n} of {m}",
        "pl": "Paczka {n} z {m}",
        "de": "Paket {n} von {m}",
        "cs": "Zásilka {n} z {m}",
        "sk": "Zásielka {n} z {m}",
    },
    "return_parcel": {
        "en": "Return to the shop",
        "pl": "Zwrot do sklepu",
        "de": "Rücksendung an den Shop",
        "cs": "Vrácení do obchodu",
        "sk": "Vrátenie do obchodu",
    },
    "no_shipments": {
        "en": "We are preparing your order. Tracking details appear here as soon as it ships.",
        "pl": "Przygotowujemy Twoje zamówienie. Dane do śledzenia pojawią się tu zaraz po nadaniu.",
        "de": "Wir bereiten deine Bestellung vor. Sobald sie versendet ist, siehst du hier die Sendungsdaten.",
        "cs": "Připravujeme vaši objednávku. Údaje o zásilce se zde objeví hned po odeslání.",
        "sk": "Pripravujeme vašu objednávku. Údaje o zásielke sa tu zobrazia hneď po odoslaní.",
    },
    "expected": {
        "en": "Expected delivery: {when}",
        "pl": "Przewidywana dostawa: {when}",
        "de": "Voraussichtliche Zustellung: {when}",
        "cs": "Předpokládané doručení: {when}",
        "sk": "Predpokladané doručenie: {when}",
    },
    "expected_return": {
        "en": "Expected at the shop: {when}",
        "pl": "Przewidywany zwrot do sklepu: {when}",
        "de": "Voraussichtlich beim Shop: {when}",
        "cs": "Předpokládané doručení do obchodu: {when}",
        "sk": "Predpokladané doručenie do obchodu: {when}",
    },
    "late": {
        "en": "It was expected by {when} and the carrier has not delivered it yet.",
        "pl": "Miała dotrzeć do {when}, a przewoźnik jeszcze jej nie doręczył.",
        "de": "Erwartet bis {when}; der Zusteller hat es noch nicht zugestellt.",
        "cs": "Měla dorazit do {when}, ale dopravce ji zatím nedoručil.",
        "sk": "Mala doraziť do {when}, ale dopravca ju zatiaľ nedoručil.",
    },
    "late_badge": {"en": "Late", "pl": "Opóźniona", "de": "Verspätet", "cs": "Zpožděno", "sk": "Meškanie"},
    "delivered_on": {
        "en": "Delivered {when}",
        "pl": "Doręczona {when}",
        "de": "Zugestellt am {when}",
        "cs": "Doručeno {when}",
        "sk": "Doručené {when}",
    },
    "updated": {
        "en": "Last update: {when}",
        "pl": "Ostatnia zmiana: {when}",
        "de": "Letzte Aktualisierung: {when}",
        "cs": "Poslední změna: {when}",
        "sk": "Posledná zmena: {when}",
    },
    "progress": {
        "en": "Delivery progress",
        "pl": "Postęp dostawy",
        "de": "Lieferfortschritt",
        "cs": "Průběh doručení",
        "sk": "Priebeh doručenia",
    },
    "step_current": {
        "en": "current step",
        "pl": "bieżący etap",
        "de": "aktueller Schritt",
        "cs": "aktuální krok",
        "sk": "aktuálny krok",
    },
    "step_n_of_m": {
        "en": "Step {n} of {m}: {label}",
        "pl": "Etap {n} z {m}: {label}",
        "de": "Schritt {n} von {m}: {label}",
        "cs": "Krok {n} z {m}: {label}",
        "sk": "Krok {n} z {m}: {label}",
    },
    "step_done": {"en": "done", "pl": "zakończony", "de": "erledigt", "cs": "hotovo", "sk": "hotovo"},
    "step_ordered": {"en": "Ordered", "pl": "Zamówione", "de": "Bestellt", "cs": "Objednáno", "sk": "Objednané"},
    "step_shipped": {"en": "Shipped", "pl": "Nadane", "de": "Versendet", "cs": "Odesláno", "sk": "Odoslané"},
    "step_on_the_way": {"en": "On its way", "pl": "W drodze", "de": "Unterwegs", "cs": "Na cestě", "sk": "Na ceste"},
    "step_out_for_delivery": {
        "en": "Out for delivery",
        "pl": "W doręczeniu",
        "de": "In Zustellung",
        "cs": "V doručování",
        "sk": "V doručovaní",
    },
    "step_ready_for_pickup": {
        "en": "Ready for pickup",
        "pl": "Do odbioru",
        "de": "Abholbereit",
        "cs": "K vyzvednutí",
        "sk": "Na vyzdvihnutie",
    },
    "step_delivered": {"en": "Delivered", "pl": "Doręczone", "de": "Zugestellt", "cs": "Doručeno", "sk": "Doručené"},
    "step_return_created": {
        "en": "Return registered",
        "pl": "Zwrot zgłoszony",
        "de": "Rücksendung angemeldet",
        "cs": "Vrácení nahlášeno",
        "sk": "Vrátenie nahlásené",
    },
    "step_return_on_the_way": {
        "en": "On its way back",
        "pl": "W drodze do sklepu",
        "de": "Auf dem Rückweg",
        "cs": "Na cestě zpět",
        "sk": "Na ceste späť",
    },
    "step_return_received": {
        "en": "Received by the shop",
        "pl": "Odebrany przez sklep",
        "de": "Beim Shop angekommen",
        "cs": "Přijato obchodem",
        "sk": "Prijaté obchodom",
    },
    "pickup_point": {
        "en": "Pickup point",
        "pl": "Punkt odbioru",
        "de": "Abholstelle",
        "cs": "Výdejní místo",
        "sk": "Výdajné miesto",
    },
    "opening_hours": {
        "en": "Opening hours: {hours}",
        "pl": "Godziny otwarcia: {hours}",
        "de": "Öffnungszeiten: {hours}",
        "cs": "Otevírací doba: {hours}",
        "sk": "Otváracie hodiny: {hours}",
    },
    "show_on_map": {
        "en": "Show on map (OpenStreetMap)",
        "pl": "Pokaż na mapie (OpenStreetMap)",
        "de": "Auf der Karte zeigen (OpenStreetMap)",
        "cs": "Zobrazit na mapě (OpenStreetMap)",
        "sk": "Zobraziť na mape (OpenStreetMap)",
    },
    "carrier": {"en": "Carrier", "pl": "Przewoźnik", "de": "Zusteller", "cs": "Dopravce", "sk": "Dopravca"},
    "tracking_number": {
        "en": "Tracking number",
        "pl": "Numer przesyłki",
        "de": "Sendungsnummer",
        "cs": "Číslo zásilky",
        "sk": "Číslo zásielky",
    },
    "carrier_link": {
        "en": "Open on the {carrier} website",
        "pl": "Otwórz na stronie {carrier}",
        "de": "Auf der Website von {carrier} öffnen",
        "cs": "Otevřít na webu {carrier}",
        "sk": "Otvoriť na webe {carrier}",
    },
    "history": {
        "en": "Tracking history",
        "pl": "Historia przesyłki",
        "de": "Sendungsverlauf",
        "cs": "Historie zásilky",
        "sk": "História zásielky",
    },
    "show_older": {
        "en": "Show {count} older updates",
        "pl": "Pokaż starsze zdarzenia ({count})",
        "de": "{count} ältere Ereignisse anzeigen",
        "cs": "Zobrazit starší události ({count})",
        "sk": "Zobraziť staršie udalosti ({count})",
    },
    "no_events": {
        "en": "No updates from the carrier yet.",
        "pl": "Przewoźnik nie przekazał jeszcze informacji.",
        "de": "Noch keine Meldungen vom Zusteller.",
        "cs": "Dopravce zatím nic nehlásil.",
        "sk": "Dopravca zatiaľ nič nehlásil.",
    },
    "items": {
        "en": "Items in this order",
        "pl": "Produkty w zamówieniu",
        "de": "Artikel dieser Bestellung",
        "cs": "Položky objednávky",
        "sk": "Položky objednávky",
    },
    "quantity": {
        "en": "Quantity: {quantity}",
        "pl": "Ilość: {quantity}",
        "de": "Menge: {quantity}",
        "cs": "Množství: {quantity}",
        "sk": "Množstvo: {quantity}",
    },
    "support": {
        "en": "Need help?",
        "pl": "Potrzebujesz pomocy?",
        "de": "Brauchst du Hilfe?",
        "cs": "Potřebujete pomoc?",
        "sk": "Potrebujete pomoc?",
    },
    "support_email": {"en": "Email", "pl": "E-mail", "de": "E-Mail", "cs": "E-mail", "sk": "E-mail"},
    "support_phone": {"en": "Phone", "pl": "Telefon", "de": "Telefon", "cs": "Telefon", "sk": "Telefón"},
    "support_web": {
        "en": "Help centre",
        "pl": "Centrum pomocy",
        "de": "Hilfe-Center",
        "cs": "Centrum nápovědy",
        "sk": "Centrum pomoci",
    },
    "discount": {
        "en": "Your discount code",
        "pl": "Twój kod rabatowy",
        "de": "Dein Rabattcode",
        "cs": "Váš slevový kód",
        "sk": "Váš zľavový kód",
    },
    "copy_code": {
        "en": "Copy code",
        "pl": "Kopiuj kod",
        "de": "Code kopieren",
        "cs": "Kopírovat kód",
        "sk": "Kopírovať kód",
    },
    "copied": {"en": "Copied", "pl": "Skopiowano", "de": "Kopiert", "cs": "Zkopírováno", "sk": "Skopírované"},
    "valid_until": {
        "en": "Valid until {when}",
        "pl": "Ważny do {when}",
        "de": "Gültig bis {when}",
        "cs": "Platí do {when}",
        "sk": "Platí do {when}",
    },
    "recommended": {
        "en": "You might also like",
        "pl": "Może Ci się spodobać",
        "de": "Das könnte dir auch gefallen",
        "cs": "Mohlo by se vám líbit",
        "sk": "Mohlo by sa vám páčiť",
    },
    "read_more": {
        "en": "Worth reading",
        "pl": "Warto przeczytać",
        "de": "Lesenswert",
        "cs": "Stojí za přečtení",
        "sk": "Stojí za prečítanie",
    },
    "feedback_question": {
        "en": "How was your delivery?",
        "pl": "Jak oceniasz dostawę?",
        "de": "Wie war deine Lieferung?",
        "cs": "Jak hodnotíte doručení?",
        "sk": "Ako hodnotíte doručenie?",
    },
    "feedback_rating": {
        "en": "{n} of 5",
        "pl": "{n} z 5",
        "de": "{n} von 5",
        "cs": "{n} z 5",
        "sk": "{n} z 5",
    },
    "feedback_comment": {
        "en": "Anything to add? (optional)",
        "pl": "Chcesz coś dodać? (opcjonalnie)",
        "de": "Möchtest du etwas ergänzen? (optional)",
        "cs": "Chcete něco dodat? (nepovinné)",
        "sk": "Chcete niečo dodať? (nepovinné)",
    },
    "feedback_send": {"en": "Send", "pl": "Wyślij", "de": "Senden", "cs": "Odeslat", "sk": "Odoslať"},
    "feedback_thanks": {
        "en": "Thank you for your feedback!",
        "pl": "Dziękujemy za opinię!",
        "de": "Danke für dein Feedback!",
        "cs": "Děkujeme za hodnocení!",
        "sk": "Ďakujeme za hodnotenie!",
    },
    "feedback_invalid": {
        "en": "Choose a rating from 1 to 5.",
        "pl": "Wybierz ocenę od 1 do 5.",
        "de": "Wähle eine Bewertung von 1 bis 5.",
        "cs": "Vyberte hodnocení od 1 do 5.",
        "sk": "Vyberte hodnotenie od 1 do 5.",
    },
    "back_to_tracking": {
        "en": "Back to tracking",
        "pl": "Wróć do śledzenia",
        "de": "Zurück zur Sendungsverfolgung",
        "cs": "Zpět na sledování",
        "sk": "Späť na sledovanie",
    },
    "shipment_only_note": {
        "en": "You looked this parcel up by its tracking number, so order details are not shown.",
        "pl": "Paczkę wyszukano po numerze przesyłki, dlatego szczegóły zamówienia są ukryte.",
        "de": "Du hast das Paket über die Sendungsnummer gesucht, daher werden keine Bestelldetails angezeigt.",
        "cs": "Zásilku jste vyhledali podle čísla zásilky, proto se podrobnosti objednávky nezobrazují.",
        "sk": "Zásielku ste vyhľadali podľa čísla zásielky, preto sa podrobnosti objednávky nezobrazujú.",
    },
    "lookup_title": {
        "en": "Track your order",
        "pl": "Śledź zamówienie",
        "de": "Bestellung verfolgen",
        "cs": "Sledování objednávky",
        "sk": "Sledovanie objednávky",
    },
    "lookup_intro": {
        "en": "Enter your order number and the email address or postcode you ordered with.",
        "pl": "Podaj numer zamówienia oraz adres e-mail lub kod pocztowy podany przy zamówieniu.",
        "de": "Gib deine Bestellnummer und die E-Mail-Adresse oder Postleitzahl der Bestellung ein.",
        "cs": "Zadejte číslo objednávky a e-mail nebo PSČ, které jste uvedli při objednávce.",
        "sk": "Zadajte číslo objednávky a e-mail alebo PSČ, ktoré ste uviedli pri objednávke.",
    },
    "order_number": {
        "en": "Order number",
        "pl": "Numer zamówienia",
        "de": "Bestellnummer",
        "cs": "Číslo objednávky",
        "sk": "Číslo objednávky",
    },
    "email_or_postcode": {
        "en": "Email or postcode",
        "pl": "E-mail lub kod pocztowy",
        "de": "E-Mail oder Postleitzahl",
        "cs": "E-mail nebo PSČ",
        "sk": "E-mail alebo PSČ",
    },
    "track_order": {
        "en": "Track order",
        "pl": "Śledź zamówienie",
        "de": "Bestellung verfolgen",
        "cs": "Sledovat objednávku",
        "sk": "Sledovať objednávku",
    },
    "lookup_by_number": {
        "en": "Only have a tracking number?",
        "pl": "Masz tylko numer przesyłki?",
        "de": "Du hast nur eine Sendungsnummer?",
        "cs": "Máte jen číslo zásilky?",
        "sk": "Máte len číslo zásielky?",
    },
    "track_parcel": {
        "en": "Track parcel",
        "pl": "Śledź paczkę",
        "de": "Paket verfolgen",
        "cs": "Sledovat zásilku",
        "sk": "Sledovať zásielku",
    },
    "lookup_failed": {
        "en": "We could not find an order with these details. Check the order number and the email address "
        "or postcode from your order confirmation.",
        "pl": "Nie znaleźliśmy zamówienia o tych danych. Sprawdź numer zamówienia oraz adres e-mail "
        "lub kod pocztowy z potwierdzenia zamówienia.",
        "de": "Wir haben keine Bestellung mit diesen Angaben gefunden. Prüfe die Bestellnummer und die "
        "E-Mail-Adresse oder Postleitzahl aus deiner Bestellbestätigung.",
        "cs": "Objednávku s těmito údaji jsme nenašli. Zkontrolujte číslo objednávky a e-mail nebo PSČ "
        "z potvrzení objednávky.",
        "sk": "Objednávku s týmito údajmi sme nenašli. Skontrolujte číslo objednávky a e-mail alebo PSČ "
        "z potvrdenia objednávky.",
    },
    "tracking_lookup_failed": {
        "en": "We could not find a parcel with this tracking number in this shop.",
        "pl": "Nie znaleźliśmy w tym sklepie paczki o tym numerze.",
        "de": "Wir haben in diesem Shop kein Paket mit dieser Sendungsnummer gefunden.",
        "cs": "V tomto obchodě jsme zásilku s tímto číslem nenašli.",
        "sk": "V tomto obchode sme zásielku s týmto číslom nenašli.",
    },
    "rate_limited_title": {
        "en": "Too many attempts",
        "pl": "Zbyt wiele prób",
        "de": "Zu viele Versuche",
        "cs": "Příliš mnoho pokusů",
        "sk": "Príliš veľa pokusov",
    },
    "rate_limited_body": {
        "en": "To protect our customers we limit how often orders can be looked up. Please try again in "
        "{minutes} minutes, or use the tracking link from your email.",
        "pl": "Dla bezpieczeństwa klientów ograniczamy liczbę wyszukiwań. Spróbuj ponownie za {minutes} min "
        "albo użyj linku do śledzenia z e-maila.",
        "de": "Zum Schutz unserer Kunden begrenzen wir die Anzahl der Suchanfragen. Bitte versuche es in "
        "{minutes} Minuten erneut oder nutze den Link aus deiner E-Mail.",
        "cs": "Z bezpečnostních důvodů omezujeme počet vyhledávání. Zkuste to znovu za {minutes} min, "
        "nebo použijte odkaz ze svého e-mailu.",
        "sk": "Z bezpečnostných dôvodov obmedzujeme počet vyhľadávaní. Skúste to znova o {minutes} min, "
        "alebo použite odkaz zo svojho e-mailu.",
    },
    "not_found_title": {
        "en": "We could not find this page",
        "pl": "Nie znaleźliśmy tej strony",
        "de": "Diese Seite gibt es nicht",
        "cs": "Tuto stránku jsme nenašli",
        "sk": "Túto stránku sme nenašli",
    },
    "not_found_body": {
        "en": "This tracking link is not valid any more. Use the link from your latest email or look the "
        "order up in the shop.",
        "pl": "Ten link do śledzenia jest nieaktualny. Użyj linku z ostatniego e-maila albo wyszukaj "
        "zamówienie w sklepie.",
        "de": "Dieser Link ist nicht mehr gültig. Nutze den Link aus deiner letzten E-Mail oder suche die "
        "Bestellung im Shop.",
        "cs": "Tento odkaz již neplatí. Použijte odkaz z posledního e-mailu nebo vyhledejte objednávku v obchodě.",
        "sk": "Tento odkaz už neplatí. Použite odkaz z posledného e-mailu alebo vyhľadajte objednávku v obchode.",
    },
    "powered_by": {
        "en": "Tracking by Parcelfront",
        "pl": "Śledzenie: Parcelfront",
        "de": "Sendungsverfolgung: Parcelfront",
        "cs": "Sledování: Parcelfront",
        "sk": "Sledovanie: Parcelfront",
    },
}


def text(key: str, language: str, **values: object) -> str:
    """The page text ``key`` in ``language`` (English when missing), with ``{placeholders}`` filled in."""
    entry = TEXTS[key]
    template = entry.get(language_or_default(language)) or entry["en"]
    return template.format(**values) if values else template


class Texts:
    """``t('key', name=value)`` bound to one language, for templates."""

    def __init__(self, language: str) -> None:
        self.language = language_or_default(language)

    def __call__(self, key: str, **values: object) -> str:
        return text(key, self.language, **values)

"""The demo shop's content: a Polish specialty-coffee roaster with real-looking products and customers."""

from decimal import Decimal

DEMO_SHOP = {
    "name": "Palarnia Ziarno",
    "slug": "ziarno",
    "locale": "pl",
    "timezone_name": "Europe/Warsaw",
    "website_url": "https://ziarno.example",
    "support_email": "pomoc@ziarno.example",
    "support_phone": "+48 12 345 67 89",
    "sender_name": "Palarnia Ziarno",
    "sender_email": "sklep@ziarno.example",
    "primary_color": "#5B3A29",
    "accent_color": "#E0A458",
    "page_title": "Gdzie jest moja kawa?",
    "banner_text": "Nowość: Etiopia Guji, jasno palona — -15% z kodem ZIARNO15",
    "banner_url": "https://ziarno.example/kawy/etiopia-guji",
    "footer_text": "Palarnia Ziarno sp. z o.o., ul. Józefa 12, 31-056 Kraków. Palimy kawę co wtorek i piątek.",
}
DEMO_OWNER = ("demo@parcelfront.test", "parcelfront-demo")
DEMO_MARKETER = ("marketing@parcelfront.test", "parcelfront-demo")
DEMO_SUPPORT = ("support@parcelfront.test", "parcelfront-demo")

OTHER_SHOP = {
    "name": "Szprycha Rowery",
    "slug": "szprycha",
    "locale": "pl",
    "timezone_name": "Europe/Warsaw",
    "website_url": "https://szprycha.example",
    "support_email": "serwis@szprycha.example",
    "primary_color": "#0B6E4F",
    "accent_color": "#F4D35E",
}
OTHER_OWNER = ("szprycha@parcelfront.test", "parcelfront-demo")

# sku, name, price (PLN), category, tags, image
PRODUCTS = [
    ("ZI-ETH-250", "Etiopia Guji, ziarno 250 g", Decimal("54.00"), "kawa", ["jasne-palenie", "przelew"], "beans"),
    ("ZI-BRA-1000", "Brazylia Cerrado, ziarno 1 kg", Decimal("129.00"), "kawa", ["espresso"], "beans"),
    ("ZI-COL-250", "Kolumbia Huila, ziarno 250 g", Decimal("49.00"), "kawa", ["przelew", "espresso"], "beans"),
    ("ZI-DEC-250", "Bezkofeinowa Meksyk, 250 g", Decimal("52.00"), "kawa", ["bezkofeinowa"], "beans"),
    ("ZI-GR-C40", "Młynek ręczny Comandante C40", Decimal("1099.00"), "sprzet", ["mlynek"], "grinder"),
    ("ZI-V60-02", "Drip V60 ceramiczny 02", Decimal("119.00"), "sprzet", ["przelew"], "dripper"),
    ("ZI-FLT-100", "Filtry papierowe V60, 100 szt.", Decimal("29.00"), "akcesoria", ["przelew"], "filters"),
    ("ZI-KET-06", "Czajnik z gęsią szyjką 0,6 l", Decimal("189.00"), "sprzet", ["przelew"], "kettle"),
    ("ZI-MUG-CER", "Kubek ceramiczny Ziarno 300 ml", Decimal("59.00"), "akcesoria", ["prezent"], "mug"),
    ("ZI-SCL-01", "Waga baristyczna z timerem", Decimal("149.00"), "sprzet", ["przelew", "espresso"], "scale"),
]

# name, email, city, postcode, locale
CUSTOMERS = [
    ("Anna Kowalska", "anna.kowalska@example.com", "Kraków", "30-001", "pl"),
    ("Piotr Nowak", "piotr.nowak@example.com", "Warszawa", "00-950", "pl"),
    ("Katarzyna Wiśniewska", "k.wisniewska@example.com", "Gdańsk", "80-001", "pl"),
    ("Tomasz Wójcik", "tomasz.wojcik@example.com", "Wrocław", "50-001", "pl"),
    ("Magdalena Kamińska", "magda.kaminska@example.com", "Poznań", "60-001", "pl"),
    ("Jan Lewandowski", "jan.lewandowski@example.com", "Łódź", "90-001", "pl"),
    ("Lena Schmidt", "lena.schmidt@example.de", "Görlitz", "02826", "de"),
    ("Jana Nováková", "jana.novakova@example.cz", "Ostrava", "70200", "cs"),
    ("Zuzana Horváthová", "zuzana.horvathova@example.sk", "Žilina", "01001", "sk"),
    ("Oliver Brown", "oliver.brown@example.co.uk", "Katowice", "40-001", "en"),
    ("Michał Zieliński", "michal.zielinski@example.com", "Lublin", "20-001", "pl"),
    ("Agnieszka Szymańska", "a.szymanska@example.com", "Szczecin", "70-001", "pl"),
]

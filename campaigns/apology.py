"""The delay-apology campaign's ready-made words per language: (subject, heading, body, call to action)."""

APOLOGY_CONTENT = {
    "pl": (
        "Przepraszamy za opóźnienie",
        "Twoja paczka się spóźnia — przepraszamy",
        "Cześć {{ first_name }},\n\nprzesyłka z zamówienia **{{ order_number }}** nie dotarła na czas. "
        "To nie jest doświadczenie, jakiego chcemy dla Ciebie.\n\nW ramach przeprosin mamy dla Ciebie kod "
        "rabatowy na kolejne zakupy — jest tylko Twój i działa jeden raz.",
        "Wróć do sklepu",
    ),
    "en": (
        "Sorry your parcel is late",
        "Your parcel is running late — we're sorry",
        "Hi {{ first_name }},\n\nthe parcel from order **{{ order_number }}** did not arrive on time. "
        "That is not the experience we want for you.\n\nAs an apology, here is a discount code for your next "
        "order — it is yours alone and works once.",
        "Back to the shop",
    ),
    "de": (
        "Entschuldigung für die Verspätung",
        "Dein Paket verspätet sich — das tut uns leid",
        "Hallo {{ first_name }},\n\ndas Paket aus Bestellung **{{ order_number }}** ist nicht rechtzeitig "
        "angekommen.\n\nAls Entschuldigung schenken wir dir einen Rabattcode für deine nächste Bestellung — "
        "nur für dich und einmal einlösbar.",
        "Zurück zum Shop",
    ),
    "cs": (
        "Omlouváme se za zpoždění",
        "Vaše zásilka má zpoždění — omlouváme se",
        "Dobrý den {{ first_name }},\n\nzásilka z objednávky **{{ order_number }}** nedorazila včas.\n\n"
        "Jako omluvu pro vás máme slevový kód na další nákup — je jen váš a platí jednou.",
        "Zpět do obchodu",
    ),
    "sk": (
        "Ospravedlňujeme sa za meškanie",
        "Vaša zásielka mešká — ospravedlňujeme sa",
        "Dobrý deň {{ first_name }},\n\nzásielka z objednávky **{{ order_number }}** nedorazila načas.\n\n"
        "Ako ospravedlnenie pre vás máme zľavový kód na ďalší nákup — je len váš a platí raz.",
        "Späť do obchodu",
    ),
}

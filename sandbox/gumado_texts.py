"""Words the Gumado sandbox builds its seeded reviews from: businesses, people, review texts.

Texts include the awkward cases the app must survive: ``<`` ``&`` ``*`` ``_`` ``~``, ``@channel``
and ``<!here>``, emoji, accented and non-Latin names, and a few very long reviews.
"""

from __future__ import annotations

from typing import Final

# (organization, kind, locations, campaigns as (name, send window, default delay hours),
#  source weights by source slug)
BUSINESSES: Final = [
    (
        "Acme Dental Clinic",
        "dental",
        ["Acme Dental — Downtown", "Acme Dental — Riverside", "Acme Dental — Northgate"],
        [
            ("Post-Visit Follow Up", (7, 16), 0),
            ("Monthly Customer Outreach", (9, 17), 24),
            ("New Patient Welcome", None, 2),
        ],
        {"google": 6, "facebook": 2, "yelp": 2, "trustpilot": 1},
    ),
    (
        "Harbor Street Inn & Bistro",
        "inn",
        ["Harbor Street — Waterfront", "Harbor Street — Old Town"],
        [("Post-Stay Thank You", None, 24), ("Dinner Guests — Next Day", (10, 20), 12)],
        {"google": 4, "tripadvisor": 3, "booking": 3, "airbnb": 2, "yelp": 2, "facebook": 1},
    ),
    (
        "Northside Auto Repair",
        "auto",
        [
            "Northside Auto — Main St",
            "Northside Auto — Industrial Park",
            "Northside Auto — Airport Rd",
        ],
        [
            ("Service Complete Follow Up", (8, 18), 2),
            ("Monthly Customer Outreach", None, 0),
            ("Tire Season Reminder", (9, 12), 0),
        ],
        {"google": 6, "yelp": 3, "facebook": 2, "trustpilot": 1},
    ),
    (
        "Bloom & Co. Florists",
        "florist",
        ["Bloom & Co. — Market Hall", "Bloom & Co. — Westfield"],
        [("Delivered Orders — Review Request", None, 4), ("Wedding Clients", (9, 17), 48)],
        {"google": 4, "facebook": 2, "amazon": 2, "trustpilot": 2, "yelp": 1},
    ),
    (
        "Summit Fitness Studio",
        "fitness",
        ["Summit Fitness — Central", "Summit Fitness — Lakeside"],
        [("New Member — Week 2 Check-in", (6, 21), 0), ("Class Attendees Follow Up", None, 3)],
        {"google": 4, "facebook": 2, "app_store": 2, "google_play": 2, "trustpilot": 1},
    ),
]

# (id, name, webhook slug, site, available, can collect reviews, has titles)
SOURCES: Final = [
    (1, "Google", "google", "https://google.com", True, True, False),
    (2, "Facebook", "facebook", "https://facebook.com", True, True, False),
    (3, "Yelp", "yelp", "https://yelp.com", True, True, False),
    (4, "Trustpilot", "trustpilot", "https://trustpilot.com", True, True, True),
    (5, "TripAdvisor", "tripadvisor", "https://tripadvisor.com", True, True, True),
    (6, "Booking.com", "booking", "https://booking.com", True, True, True),
    (7, "Airbnb", "airbnb", "https://airbnb.com", True, True, False),
    (8, "Amazon", "amazon", "https://amazon.com", True, True, True),
    (9, "Apple App Store", "app_store", "https://apps.apple.com", True, True, True),
    (10, "Google Play", "google_play", "https://play.google.com", True, True, True),
    (11, "Glassdoor", "glassdoor", "https://glassdoor.com", False, False, True),
    (12, "Houzz", "houzz", "https://houzz.com", True, False, False),
]

VOCABULARY: Final[dict[str, dict[str, list[str]]]] = {
    "dental": {
        "staff": ["Dr. Patel", "Dr. Nguyen", "Maria at the front desk", "our hygienist Jess"],
        "thing": ["cleaning", "check-up", "filling", "whitening appointment", "root canal"],
        "detail": ["the waiting room", "the billing", "the X-ray machine", "the reminder texts"],
    },
    "inn": {
        "staff": ["Tom at reception", "Chef Marco", "our server Aisha", "the night manager"],
        "thing": ["dinner", "weekend stay", "Sunday brunch", "tasting menu", "sea-view room"],
        "detail": ["the breakfast", "the parking", "the Wi-Fi", "the room service"],
    },
    "auto": {
        "staff": ["Mike", "Dave at the service desk", "the technician, Luis", "Karen"],
        "thing": ["brake job", "oil change", "transmission repair", "tire rotation", "inspection"],
        "detail": ["the waiting area", "the written quote", "the loaner car", "the invoice"],
    },
    "florist": {
        "staff": ["Emma", "Priya", "the delivery driver", "Olivia"],
        "thing": ["wedding bouquet", "birthday arrangement", "sympathy wreath", "dozen roses"],
        "detail": ["the packaging", "the delivery time", "the card message", "the website"],
    },
    "fitness": {
        "staff": ["Coach Ryan", "Lena", "the front desk team", "my trainer Sam"],
        "thing": ["spin class", "personal training session", "yoga class", "HIIT class"],
        "detail": ["the locker rooms", "the booking app", "the class schedule", "the showers"],
    },
}

POSITIVE: Final = [
    "Outstanding service! The team went above and beyond.",
    "{staff} was fantastic — explained everything and made me feel at ease.",
    "Best {thing} I've had in years. Will definitely be back.",
    "Quick, friendly and professional. Even {detail} impressed me.",
    "Highly recommend! Booked a {thing} on short notice and they fit me in the same day.",
    "Five stars for {staff}. Genuinely cares about customers.",
    "Great value and great people. My whole family comes here now.",
    "Loved it 😍 {staff} remembered my name from last time!",
    "Everything was perfect from start to finish. Thank you!",
    "Really impressed with {detail}. Small things make a big difference.",
    "Came in nervous about my {thing}, left smiling. 10/10.",
    "Friendly, on time, fair price. What more could you want? 👍",
]

MIXED: Final = [
    "Good {thing} overall, but {detail} could use some work.",
    "Decent experience. Had to wait 25 minutes past my appointment time though.",
    "{staff} was lovely, but the price was higher than quoted.",
    "It was fine. Nothing special, nothing terrible.",
    "Mixed feelings: the {thing} was great, {detail} not so much.",
    "Okay service. Communication before the visit could be better.",
]

NEGATIVE: Final = [
    "Very disappointed. The {thing} was rushed and nobody apologised.",
    "Waited over an hour and {detail} was a mess. Not coming back.",
    "Billed twice for the same {thing}. Still waiting on a refund after two weeks.",
    "Rude staff at the front desk. {staff} was the only one who tried to help.",
    "Cancelled my {thing} with 10 minutes' notice. Unacceptable.",
    "Terrible experience & zero follow-up. Avoid.",
    "Not worth the money. {detail} was dirty and nobody seemed to care.",
]

# Each is used once, on a fixed seeded review, so every run has them.
AWKWARD: Final = [
    (5, "Loved the <b>service</b> & the price — 10/10 *would* come back 🎉"),
    (2, "The <script>alert('x')</script> booking page & the phone line both failed me. 1 < 2."),
    (5, "@channel you need to see this: best {thing} in town!!! <!here> <@U123> <#C123>"),
    (4, "*Shoutout* to _{staff}_ ~really~ `great` work > expectations & then some"),
    (1, "NEVER AGAIN 😡😡😡 &amp; I mean it"),
    (3, "Ça va… the {thing} was «correct», rien de plus. Grüße aus Köln! 🇩🇪"),
]

LONG_PARAGRAPHS: Final = [
    "I want to write a detailed review because I think people deserve the full picture "
    "before they book. I first came here about six months ago after a recommendation from a "
    "neighbour, and I have been back four times since, so this is not a one-off impression.",
    "The booking itself was easy: the confirmation arrived straight away and the reminder "
    "the day before was helpful. On arrival I was greeted quickly, although on two of my "
    "visits the wait was longer than I would have liked (around twenty minutes each time).",
    "{staff} deserves a special mention. Every question I had about the {thing} was answered "
    "patiently and without any of the upselling I have experienced elsewhere. I never felt "
    "rushed, and the explanation of the options and the costs was clear and written down.",
    "Where things fell short was {detail}. It is a small thing in the grand scheme of it, "
    "but when you are paying this kind of money you notice it, and I mentioned it at the "
    "desk. They took a note and said they would pass it on; I hope they do.",
    "Pricing is on the higher side for the area, but in my experience you get what you pay "
    "for, and I would rather pay a little more for people who clearly take pride in their "
    "work than save a few dollars and regret it later.",
    "Overall I would recommend them to friends and family, and I already have. If they sort "
    "out the waiting times and {detail}, this would be an easy five stars from me. I will "
    "update this review after my next visit.",
]

TITLES: Final[dict[str, list[str]]] = {
    "positive": ["Fantastic experience", "Highly recommended", "Will be back!", "Great value"],
    "mixed": ["Good but not great", "Room for improvement", "Average"],
    "negative": ["Disappointed", "Avoid", "Never again", "Not as advertised"],
}

REPLIES: Final[dict[str, list[str]]] = {
    "positive": [
        "Thank you {first}! We appreciate your kind words.",
        "Thanks so much, {first} — see you next time!",
        "We're delighted you enjoyed it, {first}. Thank you for taking the time to write.",
    ],
    "mixed": [
        "Thanks for the honest feedback, {first}. We're working on it.",
        "Thank you {first}. We've shared your comments with the team.",
    ],
    "negative": [
        "We're sorry to hear this, {first}. Please call us so we can make it right.",
        "{first}, this is not the standard we aim for. Our manager will contact you today.",
    ],
}

FIRST_NAMES: Final = [
    "Sarah", "James", "Maria", "David", "Aisha", "Tom", "Priya", "Lucas", "Emma", "Noah",
    "Olivia", "Liam", "Sofia", "Mateo", "Chloe", "Ethan", "Zoë", "José", "Łukasz", "Mei",
    "Fatima", "Hiroshi", "Ngozi", "Anders", "Isabella", "Omar", "Grace", "Kenji", "Ava", "Ben",
]  # fmt: skip

LAST_NAMES: Final = [
    "Johnson", "Smith", "Garcia", "Nguyen", "Patel", "Brown", "Müller", "Álvarez", "Nowak",
    "Kim", "O'Connor", "Rossi", "Dubois", "Okafor", "Tanaka", "Larsen", "Cohen", "Silva",
    "Wang", "Ahmed", "Taylor", "Martin", "Lee", "Walker", "Young", "Khan", "Fischer", "Moreau",
]  # fmt: skip

COUNTRIES: Final = [
    ("US", "United States"), ("GB", "United Kingdom"), ("CA", "Canada"), ("AU", "Australia"),
    ("NZ", "New Zealand"), ("IE", "Ireland"), ("DE", "Germany"), ("FR", "France"),
    ("ES", "Spain"), ("IT", "Italy"), ("NL", "Netherlands"), ("BE", "Belgium"),
    ("AT", "Austria"), ("CH", "Switzerland"), ("SE", "Sweden"), ("NO", "Norway"),
    ("DK", "Denmark"), ("FI", "Finland"), ("PL", "Poland"), ("PT", "Portugal"),
    ("CZ", "Czechia"), ("GR", "Greece"), ("RO", "Romania"), ("HU", "Hungary"),
    ("TR", "Türkiye"), ("IL", "Israel"), ("AE", "United Arab Emirates"), ("SA", "Saudi Arabia"),
    ("ZA", "South Africa"), ("NG", "Nigeria"), ("KE", "Kenya"), ("EG", "Egypt"),
    ("IN", "India"), ("SG", "Singapore"), ("MY", "Malaysia"), ("PH", "Philippines"),
    ("JP", "Japan"), ("KR", "South Korea"), ("CN", "China"), ("HK", "Hong Kong"),
    ("MX", "Mexico"), ("BR", "Brazil"), ("AR", "Argentina"), ("CL", "Chile"), ("CO", "Colombia"),
]  # fmt: skip

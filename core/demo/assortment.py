"""What a HoReCa wholesaler sells: the category tree and the product ranges in it.

A range is a name template with the brands and variants that really go together
and the pack sizes they come in; every brand x variant x size combination is one
possible product. Prices are retail per unit, in hryvnias, VAT included.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    label: str  # as it reads in the product name: "1 кг", "250 мл", "ваговий"
    unit: str  # шт / уп / кг / л / ящ
    packs: tuple[str, ...]  # pack multiples a product of this size may be sold in
    price_from: str
    price_to: str


@dataclass(frozen=True)
class Range:
    template: str  # placeholders {brand}, {variant}, {size}
    variants_by_brand: dict[str, tuple[str, ...]]
    sizes: tuple[Size, ...]


@dataclass(frozen=True)
class Subcategory:
    name: str
    ranges: tuple[Range, ...]


@dataclass(frozen=True)
class TopCategory:
    name: str
    sku_prefix: str
    children: tuple[Subcategory, ...]


def shared(brands: Iterable[str], variants: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every brand makes every variant."""
    return {brand: variants for brand in brands}


NO_BRAND = ("",)


COFFEE = TopCategory("Кава", "CF", (
    Subcategory("Зернова", (
        Range("Кава зернова {brand} {variant} {size}", {
            "Lavazza": ("Qualità Oro", "Qualità Rossa", "Crema e Gusto", "Super Crema", "Gran Riserva",
                        "Espresso Italiano Classico", "Crema e Aroma", "Top Class"),
            "illy": ("Classico", "Intenso", "Decaffeinato", "Forte"),
            "Movenpick": ("Caffè Crema", "Espresso", "Der Himmlische", "Schümli"),
            "Jacobs": ("Barista Editions Crema", "Barista Editions Espresso", "Monarch Classico", "Crema Intense"),
            "Tchibo": ("Barista Caffè Crema", "Barista Espresso", "Exclusive", "For Black'n White"),
            "Kimbo": ("Espresso Napoletano", "Aroma Gold", "Prestige", "Extra Cream", "Superior Blend"),
            "Julius Meinl": ("Premium Espresso", "Wiener Melange", "Jubiläum", "Caffè Crema"),
            "Dallmayr": ("Crema d'Oro", "Espresso d'Oro", "Prodomo"),
            "Віденська кава": ("Арабіка Бразилія Сантос", "Арабіка Колумбія Супремо", "Арабіка Ефіопія Сидамо",
                               "Еспресо Бленд", "Гватемала Антигуа", "Кенія АА"),
            "Ambassador": ("Blue Label", "Premium", "Gold"),
            "Paulig": ("Presidentti Original", "Espresso Originale", "Café Helsinki"),
            "Segafredo": ("Intermezzo", "Espresso Casa", "Crema Dolce"),
        }, (
            Size("250 г", "шт", ("6", "12"), "150", "420"),
            Size("500 г", "шт", ("6",), "260", "720"),
            Size("1 кг", "шт", ("1", "6"), "450", "1350"),
        )),
    )),
    Subcategory("Мелена", (
        Range("Кава мелена {brand} {variant} {size}", {
            "Lavazza": ("Qualità Oro", "Qualità Rossa", "Crema e Gusto", "Espresso"),
            "illy": ("Classico", "Intenso"),
            "Jacobs": ("Monarch", "Barista Editions Classic"),
            "Tchibo": ("Exclusive", "Gold Selection"),
            "Movenpick": ("Der Himmlische", "Espresso"),
            "Галка": ("Класична", "Еспресо", "Арабіка 100%"),
            "Ambassador": ("Premium",),
            "Віденська кава": ("Арабіка", "Еспресо Бленд"),
            "Paulig": ("Classic",),
        }, (
            Size("75 г", "шт", ("12", "24"), "40", "95"),
            Size("250 г", "шт", ("12",), "130", "330"),
            Size("500 г", "шт", ("6",), "250", "620"),
        )),
    )),
    Subcategory("Капсули", (
        Range("Кава в капсулах {brand} {variant} {size}", {
            "Lavazza A Modo Mio": ("Passionale", "Deciso", "Intensamente", "Soavemente"),
            "Lavazza Blue": ("Intenso", "Dolce", "Classico"),
            "L'OR": ("Espresso Forza", "Lungo Profondo", "Ristretto", "Supremo"),
            "Starbucks": ("Espresso Roast", "House Blend", "Colombia", "Pike Place"),
            "Carraro": ("Arabica", "Crema", "Decaffeinato"),
        }, (
            Size("10 шт", "уп", ("1", "10"), "150", "290"),
            Size("100 шт", "уп", ("1",), "1450", "2800"),
        )),
        Range("Кава в капсулах Dolce Gusto {variant} {size}", shared(NO_BRAND, (
            "Americano", "Cappuccino", "Latte Macchiato", "Espresso Intenso", "Flat White", "Lungo",
        )), (
            Size("16 шт", "уп", ("1", "6"), "230", "360"),
            Size("30 шт", "уп", ("1", "6"), "420", "640"),
        )),
    )),
))

TEA = TopCategory("Чай", "TE", (
    Subcategory("Чорний", (
        Range("Чай чорний {brand} {variant} {size}", {
            "Greenfield": ("Golden Ceylon", "Magic Yunnan", "Premium Assam", "Kenyan Sunrise", "English Edition"),
            "Ahmad Tea": ("Англійський №1", "Earl Grey", "English Breakfast", "Ceylon"),
            "Lipton": ("Yellow Label", "Earl Grey"),
            "Curtis": ("Original Ceylon", "Delicate Mango"),
            "Richard": ("Royal Ceylon", "Lord Grey", "Royal Kenya"),
            "Hilltop": ("Цейлон OPA", "Ерл Грей"),
            "Мономах": ("Кенія", "Цейлон"),
            "Dilmah": ("Premium", "Earl Grey"),
            "Basilur": ("Leaf of Ceylon", "Earl Grey"),
        }, (
            Size("25 пак.", "уп", ("12",), "40", "115"),
            Size("100 пак.", "уп", ("6", "12"), "120", "330"),
            Size("100 г", "уп", ("12",), "60", "210"),
            Size("250 г", "уп", ("6",), "120", "430"),
        )),
    )),
    Subcategory("Зелений", (
        Range("Чай зелений {brand} {variant} {size}", {
            "Greenfield": ("Flying Dragon", "Jasmine Dream", "Green Melissa", "Japanese Sencha"),
            "Ahmad Tea": ("Китайський", "Green Jasmine", "з м'ятою"),
            "Lipton": ("Green Gunpowder", "Intense Mint"),
            "Curtis": ("Fresh Mint", "Sunny Lemon"),
            "Dilmah": ("Pure Green", "Green Jasmine"),
            "Richard": ("Royal Green", "Royal Jasmine"),
            "Hilltop": ("Сенча", "Молочний улун"),
        }, (
            Size("25 пак.", "уп", ("12",), "45", "120"),
            Size("100 пак.", "уп", ("6",), "130", "340"),
            Size("100 г", "уп", ("12",), "70", "260"),
        )),
    )),
    Subcategory("Трав'яний", (
        Range("Чай трав'яний {brand} {variant} {size}", {
            "Карпатський чай": ("Чебрець", "М'ята", "Ромашка", "Гірські трави", "Липа", "Шипшина", "Іван-чай"),
            "Лугова": ("Збір заспокійливий", "Ромашка", "М'ята перцева", "Шипшина"),
            "Greenfield": ("Rich Camomile", "Summer Bouquet"),
            "Ahmad Tea": ("Ромашка й лемонграс", "Імбир і лимон"),
        }, (
            Size("20 пак.", "уп", ("12",), "35", "95"),
            Size("50 г", "уп", ("12",), "40", "115"),
            Size("100 пак.", "уп", ("6",), "120", "260"),
        )),
    )),
))

DAIRY = TopCategory("Молочна продукція", "DA", (
    Subcategory("Молоко", (
        Range("Молоко {variant} {size} {brand}", shared(
            ("Галичина", "Яготинське", "Президент", "Селянське", "Молокія", "Ферма", "Волошкове поле"),
            ("2,5%", "3,2%", "1,5%", "3,5% ультрапастеризоване", "2,5% безлактозне", "2,5% ультрапастеризоване"),
        ), (
            Size("1 л", "шт", ("12",), "36", "62"),
            Size("0,5 л", "шт", ("12",), "22", "36"),
        )),
        Range("Напій рослинний {brand} {variant} {size}", {
            "Alpro": ("вівсяний Barista", "соєвий Barista", "мигдальний Barista", "кокосовий"),
            "Oatly": ("вівсяний Barista Edition", "вівсяний класичний"),
            "Vega Milk": ("вівсяний бариста", "рисовий"),
        }, (
            Size("1 л", "шт", ("6", "12"), "90", "165"),
        )),
    )),
    Subcategory("Вершки", (
        Range("Вершки {variant} {size} {brand}", shared(
            ("Галичина", "Яготинське", "Президент", "President Professional", "Ферма", "Elle & Vire"),
            ("10%", "15%", "20%", "33% для збивання", "35% для збивання"),
        ), (
            Size("0,2 л", "шт", ("24",), "20", "48"),
            Size("0,5 л", "шт", ("12",), "45", "95"),
            Size("1 л", "шт", ("6", "12"), "80", "230"),
        )),
    )),
    Subcategory("Сири", (
        Range("Сир {variant} {brand} {size}", shared(
            ("Звенигора", "Комо", "Клуб Сиру", "Пирятин", "Galbani", "President", "Hochland"),
            ("Гауда 45%", "Едам 40%", "Моцарела для піци 40%", "Пармезан 32%", "Маасдам 45%", "Чеддер 45%",
             "Фета 45%", "Рікота 30%", "Маскарпоне 80%", "Крем-чиз 70%"),
        ), (
            Size("ваговий", "кг", ("0.5", "1"), "260", "980"),
            Size("200 г", "шт", ("10", "12"), "60", "195"),
        )),
    )),
))

FROZEN = TopCategory("Заморожені продукти", "FR", (
    Subcategory("Овочі", (
        Range("{variant} {brand} {size}", shared(
            ("Lamb Weston", "Farm Frites", "McCain"),
            ("Картопля фрі заморожена 7 мм", "Картопля фрі заморожена 9 мм", "Картопля фрі заморожена 10 мм",
             "Картопля хвилясті скибочки заморожені", "Картопляні діпи заморожені",
             "Картопляні дольки зі спеціями заморожені"),
        ), (
            Size("2,5 кг", "шт", ("4",), "180", "390"),
        )),
        Range("{variant} {brand} {size}", shared(
            ("4 Сезони", "Vitamin", "Bonduelle"),
            ("Горошок зелений заморожений", "Суміш овочева «Мексиканська» заморожена",
             "Суміш овочева «Гавайська» заморожена", "Броколі заморожена", "Цвітна капуста заморожена",
             "Кукурудза зерно заморожена", "Шпинат рубаний заморожений", "Квасоля стручкова заморожена",
             "Ягоди лісові мікс заморожені", "Полуниця заморожена", "Вишня без кісточки заморожена",
             "Малина заморожена", "Чорниця заморожена"),
        ), (
            Size("400 г", "шт", ("12", "20"), "50", "145"),
            Size("2,5 кг", "шт", ("4",), "250", "720"),
        )),
    )),
    Subcategory("Випічка", (
        Range("{variant} {brand} {size}", shared(
            ("Delifrance", "Bridor", "Хлібодар", "Мультипекар"),
            ("Круасан з вершковим маслом", "Круасан з шоколадною начинкою", "Круасан з мигдалем",
             "Пончик з ванільним кремом", "Булочка з корицею", "Слойка з вишнею", "Слойка з яблуком",
             "Маффін шоколадний", "Багет французький", "Чіабата", "Хачапурі з сиром"),
        ), (
            Size("60 г", "шт", ("24", "48"), "12", "38"),
            Size("90 г", "шт", ("24", "36"), "18", "52"),
            Size("ящ. 60 шт", "ящ", ("1",), "750", "2200"),
        )),
        Range("Тісто {variant} заморожене {brand} {size}", shared(
            ("Хлібодар", "Мультипекар", "Delifrance"),
            ("листкове бездріжджове", "листкове дріжджове", "для піци, основа 30 см", "фило"),
        ), (
            Size("500 г", "шт", ("10",), "55", "140"),
            Size("1 кг", "шт", ("6",), "95", "260"),
        )),
    )),
    Subcategory("Морозиво", (
        Range("Морозиво {variant} {brand} {size}", shared(
            ("Рудь", "Лімо", "Ласунка", "Три ведмеді"),
            ("пломбір ванільний", "шоколадне", "фісташкове", "полуничне", "крем-брюле", "сорбет манго",
             "сорбет лимонний", "солона карамель"),
        ), (
            Size("0,5 кг", "шт", ("6",), "90", "185"),
            Size("2,5 кг", "шт", ("1", "2"), "380", "760"),
            Size("5 л", "шт", ("1",), "620", "1150"),
        )),
    )),
))

DRY_GOODS = TopCategory("Бакалія", "DG", (
    Subcategory("Цукор", (
        Range("Цукор {variant} {brand} {size}", {
            "Радехівський": ("білий кристалічний", "рафінад"),
            "Гнідавський": ("білий кристалічний", "пудра"),
            "Mr. Brown": ("тростинний Демерара", "тростинний Мусковадо"),
            "Tate & Lyle": ("тростинний Демерара", "білий порційний стік 5 г"),
        }, (
            Size("1 кг", "шт", ("10",), "28", "95"),
            Size("5 кг", "шт", ("2",), "140", "420"),
        )),
        Range("Цукор {variant} {brand} {size}", shared(
            ("Радехівський", "Гнідавський"), ("білий кристалічний",),
        ), (
            Size("мішок 50 кг", "шт", ("1",), "1300", "1850"),
        )),
        Range("Цукор порційний {variant} {brand} {size}", shared(
            ("Радехівський", "Tate & Lyle", "Mr. Brown"), ("стік 5 г білий", "стік 5 г тростинний", "кубики"),
        ), (
            Size("1000 шт", "уп", ("1",), "420", "980"),
        )),
    )),
    Subcategory("Борошно", (
        Range("Борошно {variant} {brand} {size}", shared(
            ("Київмлин", "Сто пудів", "Добродія", "Хлібна нива"),
            ("пшеничне вищого ґатунку", "пшеничне першого ґатунку", "житнє обдирне", "цільнозернове",
             "кукурудзяне", "рисове"),
        ), (
            Size("1 кг", "шт", ("10",), "22", "75"),
            Size("2 кг", "шт", ("6",), "40", "125"),
            Size("25 кг", "шт", ("1",), "450", "1750"),
        )),
        Range("Борошно {variant} {brand} {size}", shared(
            ("Caputo", "Molino Grassi"), ("для піци 00 Pizzeria", "для піци 00 Cuoco", "манітоба 0"),
        ), (
            Size("1 кг", "шт", ("10",), "85", "160"),
            Size("25 кг", "шт", ("1",), "1450", "2600"),
        )),
    )),
    Subcategory("Крупи", (
        Range("{variant} {brand} {size}", shared(
            ("Козуб продукт", "Сто пудів", "Жменька", "Терра"),
            ("Рис довгозерний", "Рис басматі", "Рис для суші", "Рис арборіо", "Гречка ядриця", "Пшоно",
             "Булгур", "Кус-кус", "Кіноа", "Пластівці вівсяні", "Крупа перлова", "Сочевиця червона", "Нут"),
        ), (
            Size("500 г", "шт", ("10",), "25", "115"),
            Size("1 кг", "шт", ("10",), "40", "190"),
            Size("5 кг", "шт", ("2",), "180", "820"),
        )),
    )),
    Subcategory("Макарони", (
        Range("Макарони {variant} {brand} {size}", shared(
            ("Barilla", "De Cecco", "Divella", "Pasta Zara"),
            ("спагеті №5", "спагеттоні", "пенне рігате", "фузилі", "фарфалле", "тальятеле", "фетучіні",
             "лазанья листи", "орзо"),
        ), (
            Size("500 г", "шт", ("12", "24"), "40", "125"),
            Size("1 кг", "шт", ("12",), "75", "230"),
            Size("3 кг", "шт", ("4",), "230", "590"),
        )),
    )),
    Subcategory("Спеції", (
        Range("{variant} {brand} {size}", shared(
            ("Приправка", "Галеон", "Kotányi", "Santa Maria"),
            ("Перець чорний мелений", "Перець чорний горошок", "Паприка копчена", "Куркума мелена",
             "Кориця мелена", "Орегано сушений", "Базилік сушений", "Прованські трави", "Часник гранульований",
             "Мускатний горіх мелений", "Імбир мелений", "Чилі пластівці"),
        ), (
            Size("20 г", "шт", ("20", "30"), "15", "65"),
            Size("ваговий", "кг", ("0.5", "1"), "180", "1400"),
        )),
        Range("Сіль {variant} {brand} {size}", shared(
            ("Артемсіль", "Солерон", "Galeon"), ("кухонна йодована", "кухонна екстра", "морська дрібна"),
        ), (
            Size("1 кг", "шт", ("10", "20"), "10", "45"),
            Size("25 кг", "шт", ("1",), "210", "520"),
        )),
    )),
    Subcategory("Соуси", (
        Range("Кетчуп {variant} {brand} {size}", shared(
            ("Чумак", "Торчин", "Щедро", "Heinz"), ("томатний", "лагідний", "шашличний", "гострий"),
        ), (
            Size("300 г", "шт", ("12",), "25", "75"),
            Size("1 кг", "шт", ("6", "12"), "60", "190"),
            Size("5 кг", "шт", ("1",), "310", "820"),
        )),
        Range("Майонез {variant} {brand} {size}", shared(
            ("Чумак", "Торчин", "Щедро", "Calvé"), ("Провансаль 67%", "Оливковий 50%", "Легкий 30%"),
        ), (
            Size("300 г", "шт", ("12",), "28", "70"),
            Size("1 кг", "шт", ("6",), "70", "180"),
            Size("5 кг", "шт", ("1",), "330", "780"),
        )),
        Range("Соус {variant} {brand} {size}", {
            "Чумак": ("Барбекю", "Сирний", "Тартар", "Часниковий", "Цезар", "Бургер", "Кисло-солодкий"),
            "Торчин": ("Барбекю", "Сирний", "Часниковий", "Шашличний"),
            "Heinz": ("Барбекю", "Бургер", "Сирний", "Кисло-солодкий"),
            "Kikkoman": ("Соєвий класичний", "Соєвий зі зниженим вмістом солі", "Теріякі"),
            "Flying Goose": ("Шрірача", "Шрірача з часником"),
        }, (
            Size("250 мл", "шт", ("12",), "45", "170"),
            Size("1 кг", "шт", ("6",), "120", "420"),
        )),
    )),
))

BEVERAGES = TopCategory("Напої", "BV", (
    Subcategory("Вода", (
        Range("Вода {variant} {brand} {size}", shared(
            ("Моршинська", "Трускавецька", "Карпатська джерельна", "Buvette", "Поляна Квасова", "Боржомі"),
            ("мінеральна газована", "мінеральна негазована", "слабогазована"),
        ), (
            Size("0,33 л скло", "шт", ("12", "20"), "25", "70"),
            Size("0,5 л", "шт", ("12",), "14", "38"),
            Size("1,5 л", "шт", ("6",), "20", "48"),
        )),
        Range("Вода {variant} {brand} {size}", shared(
            ("Моршинська", "Карпатська джерельна", "Знаменівська"), ("питна негазована",),
        ), (
            Size("6 л", "шт", ("2",), "45", "90"),
            Size("18,9 л", "шт", ("1",), "110", "190"),
        )),
        Range("Вода {brand} {variant} {size}", shared(
            ("San Pellegrino", "Acqua Panna", "Evian"), ("мінеральна",),
        ), (
            Size("0,25 л скло", "шт", ("24",), "55", "95"),
            Size("0,75 л скло", "шт", ("12",), "95", "175"),
        )),
    )),
    Subcategory("Соки", (
        Range("Сік {variant} {brand} {size}", shared(
            ("Sandora", "Садочок", "Jaffa", "Galicia", "Rich"),
            ("апельсиновий", "яблучний", "томатний", "мультифрукт", "вишневий", "ананасовий", "грейпфрутовий",
             "персиковий нектар"),
        ), (
            Size("0,2 л скло", "шт", ("24",), "28", "48"),
            Size("0,25 л", "шт", ("24",), "20", "42"),
            Size("1 л", "шт", ("12",), "55", "115"),
        )),
    )),
    Subcategory("Сиропи", (
        Range("Сироп {brand} {variant} {size}", shared(
            ("Monin", "DaVinci Gourmet", "1883 Maison Routin", "Barinoff", "Herbarista"),
            ("Карамель", "Ваніль", "Лісовий горіх", "Солона карамель", "Кокос", "Мигдаль", "Ірландський крем",
             "Гарбузовий спайс", "М'ята", "Лаванда", "Полуниця", "Малина", "Шоколад", "Пряник"),
        ), (
            Size("0,7 л", "шт", ("1", "6"), "220", "540"),
            Size("1 л", "шт", ("6",), "180", "460"),
        )),
    )),
    Subcategory("Газовані", (
        Range("{brand} {variant} {size}", {
            "Coca-Cola": ("Original", "Zero"),
            "Pepsi": ("", "Light"),
            "Fanta": ("Апельсин", "Виноград"),
            "Sprite": ("",),
            "Schweppes": ("Indian Tonic", "Bitter Lemon", "Ginger Ale"),
            "Живчик": ("Яблуко", "Смарт"),
            "Біола": ("Лимонад", "Дюшес", "Тархун"),
            "7UP": ("",),
            "Mirinda": ("Апельсин",),
        }, (
            Size("0,33 л ж/б", "шт", ("12", "24"), "22", "42"),
            Size("0,25 л скло", "шт", ("24",), "25", "48"),
            Size("0,5 л", "шт", ("12",), "25", "46"),
            Size("1,5 л", "шт", ("6",), "45", "78"),
        )),
    )),
))

TABLEWARE = TopCategory("Одноразовий посуд", "DT", (
    Subcategory("Стакани", (
        Range("Стакан {brand} {size} {variant}", shared(
            ("паперовий", "паперовий двошаровий", "гофрований"),
            ("білий", "крафт", "чорний", "з принтом «Coffee to go»", "з принтом «Кава»"),
        ), (
            Size("110 мл", "шт", ("50", "100"), "0.60", "1.50"),
            Size("175 мл", "шт", ("50", "100"), "0.90", "2.20"),
            Size("250 мл", "шт", ("50",), "1.20", "3.10"),
            Size("340 мл", "шт", ("50",), "1.60", "3.80"),
            Size("400 мл", "шт", ("50",), "2.00", "4.60"),
            Size("500 мл", "шт", ("50",), "2.50", "5.60"),
        )),
        Range("Стакан {brand} {size} {variant}", shared(
            ("пластиковий PP", "PET для холодних напоїв"), ("прозорий", "матовий"),
        ), (
            Size("300 мл", "шт", ("50", "100"), "1.10", "2.90"),
            Size("400 мл", "шт", ("50",), "1.40", "3.40"),
            Size("500 мл", "шт", ("50",), "1.70", "3.90"),
        )),
    )),
    Subcategory("Кришки", (
        Range("Кришка для стакана {size} {variant}", shared(NO_BRAND, (
            "пластикова біла", "пластикова чорна", "з носиком біла", "з носиком чорна", "паперова крафт",
        )), (
            Size("d 62 мм", "шт", ("100",), "0.45", "1.20"),
            Size("d 72 мм", "шт", ("100",), "0.50", "1.30"),
            Size("d 80 мм", "шт", ("100",), "0.55", "1.40"),
            Size("d 90 мм", "шт", ("100",), "0.60", "1.60"),
        )),
        Range("Кришка PET {variant} {size}", shared(NO_BRAND, ("купольна з отвором", "пласка з отвором")), (
            Size("d 95 мм", "шт", ("100",), "0.90", "2.10"),
        )),
    )),
    Subcategory("Тарілки", (
        Range("Тарілка {brand} {variant} {size}", shared(
            ("паперова", "пластикова", "з цукрової тростини", "бамбукова"),
            ("біла кругла", "трисекційна", "овальна"),
        ), (
            Size("d 170 мм", "шт", ("50", "100"), "0.70", "3.20"),
            Size("d 205 мм", "шт", ("50",), "0.90", "4.50"),
            Size("d 230 мм", "шт", ("50",), "1.20", "6.20"),
        )),
    )),
    Subcategory("Серветки", (
        Range("Серветки {variant} {size} {brand}", shared(
            ("Кохавинка", "Ruta", "Обухів", "Papero", "Tork"),
            ("паперові 1-шарові білі", "паперові 2-шарові білі", "паперові 3-шарові кольорові",
             "барні 1-шарові", "для диспенсера"),
        ), (
            Size("24×24 см, 100 шт", "уп", ("1", "24"), "18", "48"),
            Size("33×33 см, 50 шт", "уп", ("1", "20"), "30", "85"),
        )),
    )),
    Subcategory("Контейнери", (
        Range("Контейнер {variant} {size}", shared(NO_BRAND, (
            "PP з кришкою", "крафт з вікном", "з цукрової тростини", "алюмінієвий з кришкою",
            "для супу паперовий", "для суші чорний", "ланч-бокс 3-секційний",
        )), (
            Size("250 мл", "шт", ("50",), "2.00", "6.50"),
            Size("500 мл", "шт", ("50",), "2.60", "8.40"),
            Size("750 мл", "шт", ("50",), "3.10", "10.50"),
            Size("1000 мл", "шт", ("50",), "3.80", "12.90"),
        )),
    )),
))

CLEANING = TopCategory("Побутова хімія", "CL", (
    Subcategory("Миючі засоби", (
        Range("{variant} {brand} {size}", shared(
            ("Fairy", "Gala", "Frosch", "Sarma", "Pro Brite", "Golden Drop"),
            ("Засіб для миття посуду", "Засіб для посудомийних машин", "Ополіскувач для посудомийних машин",
             "Засіб для миття підлоги", "Засіб для миття скла", "Засіб для видалення жиру"),
        ), (
            Size("0,5 л", "шт", ("12",), "40", "155"),
            Size("1 л", "шт", ("12",), "60", "230"),
            Size("5 л", "шт", ("1", "4"), "250", "920"),
        )),
    )),
    Subcategory("Дезінфекція", (
        Range("{variant} {brand} {size}", shared(
            ("Бланідас", "Sanitelle", "Pro Brite", "Manorm", "Dettol"),
            ("Антисептик для рук", "Засіб дезінфекційний для поверхонь", "Рідке мило антибактеріальне",
             "Засіб для дезінфекції обладнання"),
        ), (
            Size("0,5 л", "шт", ("12",), "60", "185"),
            Size("1 л", "шт", ("12",), "110", "330"),
            Size("5 л", "шт", ("1", "4"), "450", "1450"),
        )),
    )),
    Subcategory("Папір", (
        Range("Папір туалетний {variant} {brand} {size}", shared(
            ("Tork", "Кохавинка", "Обухів", "Papero", "Ruta"), ("2-шаровий", "3-шаровий", "1-шаровий сірий"),
        ), (
            Size("4 рул.", "уп", ("12",), "35", "95"),
            Size("8 рул.", "уп", ("6",), "70", "175"),
            Size("джамбо 12 рул.", "уп", ("1",), "420", "980"),
        )),
        Range("Рушники паперові {variant} {brand} {size}", shared(
            ("Tork", "Кохавинка", "Обухів", "Papero"), ("Z-складання", "V-складання"),
        ), (
            Size("150 арк.", "уп", ("20",), "22", "55"),
            Size("200 арк.", "уп", ("20",), "25", "65"),
        )),
        Range("Рушники паперові рулонні {variant} {brand} {size}", shared(
            ("Tork", "Кохавинка", "Обухів", "Papero"), ("2-шарові", "1-шарові для диспенсера"),
        ), (
            Size("2 рул.", "уп", ("12",), "45", "120"),
            Size("6 рул.", "уп", ("4",), "180", "520"),
        )),
    )),
))

CATALOG = (COFFEE, TEA, DAIRY, FROZEN, DRY_GOODS, BEVERAGES, TABLEWARE, CLEANING)

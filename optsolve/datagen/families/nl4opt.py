"""NL4Opt-style word-problem families (two to four activities, resource limits, shares, ratios...).

Each family is a :class:`~optsolve.datagen.families.wordprob.Scenario`: stories, entities and
quantities; the engine in ``wordprob`` draws the data, writes the gold model and realises the text.
"""

from __future__ import annotations

from optsolve.datagen.families.wordprob import Attr, Context, Ent, Objective, Scenario, WordFamily


def E(plural: str, sing: str = "", measure: str | None = None) -> Ent:
    return Ent(plural, sing, measure)


def M(name: str, measure: str) -> Ent:
    """A measured (continuous) entity: ``M("wheat", "acre")`` -> "acres of wheat"."""
    return Ent(name, name, measure)


PROFIT = Attr("profit", "", money=True, lo=5, hi=400)
PROFIT_S = Attr("profit", "", money=True, lo=2, hi=60)
REVENUE = Attr("revenue", "", money=True, lo=10, hi=500)
COST = Attr("cost", "", money=True, lo=2, hi=90)
COST_L = Attr("cost", "", money=True, lo=100, hi=3000)

MAX_PROFIT = Objective("maximize", PROFIT, ("profit", "total profit", "the total profit", "its profit"))
MAX_PROFIT_S = Objective("maximize", PROFIT_S, ("profit", "total profit", "the total profit"))
MAX_REVENUE = Objective("maximize", REVENUE, ("revenue", "total revenue", "the total revenue"))
MIN_COST = Objective("minimize", COST, ("cost", "total cost", "the total cost", "costs"))
MIN_COST_L = Objective("minimize", COST_L, ("cost", "total cost", "the total cost", "the overall cost"))


def _ctx(subjects: tuple[str, ...], ents: tuple[Ent, ...], le: tuple[Attr, ...] = (),
         ge: tuple[Attr, ...] = (), items: str = "items", objectives: tuple[Objective, ...] = (),
         intro: tuple[str, ...] = ()) -> Context:
    return Context(subjects, ents, le, ge, items, objectives, intro)


# --- 1. product mix ----------------------------------------------------------------------------------

PRODUCT_MIX = Scenario(
    "product_mix", "Two to four products share limited resources; maximise profit or revenue.",
    intro=("{S} makes {ents}.", "{S} produces {n} products: {ents}.", "{S} manufactures {ents}.",
           "{S} can produce {ents}.", "{S} sells {ents} that it makes itself."),
    contexts=(
        _ctx(("A furniture workshop", "{company}", "{person}'s carpentry shop", "A small furniture maker"),
             (E("chairs", "chair"), E("tables", "table"), E("desks", "desk"), E("bookshelves", "bookshelf"),
              E("stools", "stool"), E("cabinets", "cabinet"), E("benches", "bench")),
             (Attr("carpentry", "hours of carpentry", lo=1, hi=8), Attr("finishing", "hours of finishing", lo=1, hi=5),
              Attr("wood", "board feet of wood", lo=5, hi=40, verbs=("requires", "uses", "needs")),
              COST_L), items="pieces of furniture"),
        _ctx(("A bakery", "{person}'s bakery", "A neighborhood bakery in {city}", "{company}"),
             (E("cakes", "cake"), E("pies", "pie"), E("loaves of bread", "loaf of bread"),
              E("trays of cookies", "tray of cookies"), E("batches of muffins", "batch of muffins"),
              E("baguettes", "baguette")),
             (Attr("oven", "minutes of oven time", lo=10, hi=60, verbs=("requires", "needs", "takes")),
              Attr("flour", "kg of flour", lo=0.5, hi=3), Attr("decorating", "minutes of decorating",
                                                                  lo=5, hi=30, verbs=("requires", "takes"))),
             items="baked goods"),
        _ctx(("An electronics company", "{company}", "A phone maker"),
             (E("foldable phones", "foldable phone"), E("regular phones", "regular phone"), E("tablets", "tablet"),
              E("laptops", "laptop"), E("smartwatches", "smartwatch")),
             (Attr("hardware", "hours of hardware work", lo=1, hi=12), Attr("software", "hours of software testing",
                                                                             lo=1, hi=6),
              Attr("assembly", "minutes of assembly", lo=10, hi=90, verbs=("requires", "takes"))),
             items="devices"),
        _ctx(("A clothing factory", "{company}", "A print shop", "{person}'s apparel studio"),
             (E("t-shirts", "t-shirt"), E("hoodies", "hoodie"), E("jackets", "jacket"), E("caps", "cap"),
              E("sweaters", "sweater")),
             (Attr("printing", "minutes of printing", lo=2, hi=20), Attr("sewing", "minutes of sewing", lo=5, hi=45),
              Attr("fabric", "meters of fabric", lo=0.5, hi=3)), items="garments"),
        _ctx(("The {company} mill", "A metal works", "{company}"),
             (M("standard alloy", "ton"), M("plus alloy", "ton"), M("premium alloy", "ton"),
              M("stainless steel", "ton")),
             (Attr("iron", "tons of iron ore", lo=1, hi=6), Attr("zinc", "tons of zinc ore", lo=0.5, hi=3),
              Attr("furnace", "hours of furnace time", lo=1, hi=5)), items="tons of metal"),
        _ctx(("A meat processing plant", "A deli in {city}", "{company}"),
             (M("ham", "kilogram"), M("bacon", "kilogram"), M("sausage", "kilogram"), M("salami", "kilogram")),
             (Attr("machine", "minutes of machine time", lo=5, hi=20, verbs=("requires", "takes", "needs")),
              Attr("labor", "hours of labor", lo=0.1, hi=1)), items="kilograms of meat"),
        _ctx(("A jeweler", "{person}, a jewelry maker,", "{company}"),
             (E("necklaces", "necklace"), E("rings", "ring"), E("bracelets", "bracelet"), E("pairs of earrings",
                                                                                              "pair of earrings")),
             (Attr("gold", "grams of gold", lo=1, hi=10), Attr("crafting", "hours of crafting", lo=1, hi=6)),
             items="pieces of jewelry"),
        _ctx(("A toy company", "{company}", "A university fundraiser team"),
             (E("toy cars", "toy car"), E("toy trucks", "toy truck"), E("dolls", "doll"), E("puzzles", "puzzle"),
              E("kites", "kite")),
             (Attr("plastic", "units of plastic", lo=2, hi=12), Attr("assembly", "minutes of assembly", lo=5, hi=40,
                                                                      verbs=("requires", "takes")),
              Attr("wood", "units of wood", lo=2, hi=10)), items="toys"),
        _ctx(("A restaurant kitchen", "{person}'s catering kitchen", "A food prep company"),
             (E("containers of diced onions", "container of diced onions"),
              E("containers of diced carrots", "container of diced carrots"),
              E("containers of sliced peppers", "container of sliced peppers"),
              E("containers of chopped celery", "container of chopped celery")),
             (Attr("peeling", "minutes of peeling", lo=5, hi=25, verbs=("takes", "requires")),
              Attr("cutting", "minutes of cutting", lo=5, hi=25, verbs=("takes", "requires"))), items="containers"),
        _ctx(("A tire factory", "{company}"),
             (E("bike tires", "bike tire"), E("car tires", "car tire"), E("truck tires", "truck tire")),
             (Attr("machine", "minutes on the manufacturing machine", lo=2, hi=12, verbs=("takes", "needs"),
                   noun="machine time"),
              Attr("air", "minutes of air filling", lo=1, hi=6, verbs=("takes", "needs"))), items="tires"),
        _ctx(("A cosmetics company", "{company}", "A fashion company"),
             (E("bottles of gel polish", "bottle of gel polish"), E("bottles of acrylic polish",
                                                                    "bottle of acrylic polish"),
              E("bottles of matte polish", "bottle of matte polish")),
             (Attr("raw", "hours of raw-material preparation", lo=1, hi=6, verbs=("takes", "needs")),
              Attr("mixing", "hours of mixing", lo=1, hi=5, verbs=("takes", "needs")),
              Attr("packing", "hours of packing", lo=1, hi=6, verbs=("takes", "needs"))), items="bottles"),
        _ctx(("Two brothers running a stand", "{person}'s market stall", "A school club"),
             (E("pitchers of lemonade", "pitcher of lemonade"), E("batches of brownies", "batch of brownies"),
              E("trays of cupcakes", "tray of cupcakes")),
             (Attr("first_helper", "hours of the older brother's time", lo=0.1, hi=1.5, verbs=("takes", "needs"),
                   noun="time of the older brother"),
              Attr("second_helper", "hours of the younger brother's time", lo=0.1, hi=1.5, verbs=("takes", "needs"),
                   noun="time of the younger brother")), items="items"),
        _ctx(("A publisher", "Professor {person}", "{company}"),
             (E("paperback copies", "paperback copy"), E("hardcover copies", "hardcover copy"),
              E("e-book licenses", "e-book license")),
             (Attr("printing", "minutes of printing", lo=1, hi=10, verbs=("takes", "needs")),
              Attr("binding", "minutes of binding", lo=1, hi=8, verbs=("takes", "needs"))), items="copies"),
    ),
    objectives=(MAX_PROFIT, MAX_PROFIT, MAX_REVENUE),
)

# --- 2. production to meet requirements at minimum cost -----------------------------------------------

PRODUCTION_REQ = Scenario(
    "production_requirements", "Processes yield several outputs; meet every requirement at minimum cost.",
    intro=("{S} can run {n} processes: {ents}.", "{S} obtains its products from {ents}.",
           "{S} must decide how much to use {ents}."),
    contexts=(
        _ctx(("An oil refinery", "{company}", "A refinery near {city}"),
             (M("light crude", "barrel"), M("heavy crude", "barrel"), M("medium crude", "barrel"),
              M("shale oil", "barrel")),
             ge=(Attr("gasoline", "gallons of gasoline", lo=5, hi=20, verbs=("yields", "produces", "gives")),
                 Attr("diesel", "gallons of diesel", lo=3, hi=15, verbs=("yields", "produces", "gives")),
                 Attr("jet_fuel", "gallons of jet fuel", lo=2, hi=10, verbs=("yields", "produces"))),
             le=(Attr("emissions", "kg of emissions", lo=1, hi=5, verbs=("causes", "produces", "emits")),),
             items="barrels", intro=("{S} can refine {ents}.", "{S} processes {ents}.")),
        _ctx(("A mining company", "{company}"),
             (M("the north mine", "day"), M("the south mine", "day"), M("the east mine", "day")),
             ge=(Attr("high_grade", "tons of high-grade ore", lo=1, hi=8, verbs=("produces", "yields", "extracts")),
                 Attr("medium_grade", "tons of medium-grade ore", lo=1, hi=6, verbs=("produces", "yields")),
                 Attr("low_grade", "tons of low-grade ore", lo=2, hi=10, verbs=("produces", "yields"))),
             items="days of operation", intro=("{S} operates {n} sites: {ents}.",
                                               "{S} can run {ents} for a number of days.")),
        _ctx(("A clothing company", "{company}", "A print shop in {city}"),
             (E("t-shirts", "t-shirt"), E("hoodies", "hoodie"), E("raincoats", "raincoat"), E("umbrellas", "umbrella")),
             ge=(Attr("printing", "hours of printing time", lo=0.1, hi=0.9, verbs=("takes", "requires")),
                 Attr("shipping", "shipping points", lo=1, hi=5, verbs=("earns", "counts for"))),
             items="items", intro=("{S} makes {ents}.", "{S} produces {ents} for a contract.")),
        _ctx(("A juice plant", "{company}"),
             (E("crates of oranges", "crate of oranges"), E("crates of apples", "crate of apples"),
              E("crates of mangoes", "crate of mangoes")),
             ge=(Attr("juice", "liters of juice", lo=5, hi=30, verbs=("yields", "gives", "produces")),
                 Attr("pulp", "kg of pulp", lo=1, hi=8, verbs=("yields", "leaves")),
                 Attr("vitamin", "units of vitamin C", lo=2, hi=20, verbs=("provides", "contains"))),
             items="crates", intro=("{S} buys {ents}.", "{S} presses juice from {ents}.")),
    ),
    objectives=(MIN_COST, MIN_COST),
    make=("use", "used"),
    relations=("ub", "lb", "total_le", "ratio_le", "ratio_ge", "xy"),
    n_le={"easy": (0, 0), "medium": (0, 1), "hard": (0, 1)},
    n_ge={"easy": (1, 2), "medium": (2, 2), "hard": (2, 3)},
)

# --- 3. transport by vehicle type ----------------------------------------------------------------------

def _cargo(what: str, lo: float, hi: float) -> Attr:
    return Attr("capacity", what, lo=lo, hi=hi, verbs=("can carry", "can take", "can transport", "holds"),
                noun=what, need=("{S} needs to transport {ge} {amt}{p}.", "{ge} {amt} must be delivered{p}.",
                                 "{S} has to move {ge} {amt}{p}.", "In total, {ge} {amt} have to be shipped{p}."))


def _veh_ctx(subjects: tuple[str, ...], ents: tuple[Ent, ...], cargo: str, lo: float, hi: float,
             extra: tuple[Attr, ...] = ()) -> Context:
    cap = _cargo(cargo, lo, hi)
    return Context(subjects, ents,
                   attrs_le=(Attr("cost", "", money=True, lo=5, hi=400), *extra),
                   attrs_ge=(cap,), items="trips",
                   objectives=(Objective("minimize", Attr("cost", "", money=True, lo=5, hi=400),
                                         ("cost", "total cost", "the total cost")),
                               Objective("minimize", None, ("the total number of trips", "the number of trips")),
                               Objective("maximize", cap, (f"the number of {cargo} transported",
                                                           f"the total number of {cargo} moved"))))


EMIT = ("{S} can produce {le} {amt}{p}.", "{le} {amt} may be emitted{p}.", "Emissions are capped at {amt}{p}.",
        "The total emitted must not exceed {amt}{p}.", "Regulations allow {le} {amt}{p}.")
INTAKE_LIM = ("{S} can consume {le} {amt}{p}.", "Intake is limited to {amt}{p}.", "{S} should have {le} {amt}{p}.",
              "The total must stay below {amt}{p}.")
POLLUTION = Attr("pollution", "units of pollution", lo=2, hi=90, verbs=("produces", "creates", "emits"), limit=EMIT)
FUEL = Attr("fuel", "liters of fuel", lo=5, hi=60, verbs=("uses", "burns", "consumes"))

VEHICLE_TRANSPORT = Scenario(
    "vehicle_transport", "Trips by two to four vehicle types: capacity, cost, budget, shares of trips.",
    intro=("{S} can use {ents}.", "{S} can transport using either {ents}.", "{S} makes trips with {ents}.",
           "{S} relies on {ents} for transport.", "{S} is choosing between {ents}."),
    contexts=(
        _veh_ctx(("A coconut seller", "{person}, a coconut farmer,"), (E("rickshaws", "rickshaw"),
                 E("ox carts", "ox cart"), E("pickup trucks", "pickup truck")), "coconuts", 20, 80, (POLLUTION,)),
        _veh_ctx(("A delivery company", "{company}"), (E("vans", "van"), E("drones", "drone"), E("couriers", "courier"),
                 E("cargo bikes", "cargo bike")), "packages", 4, 60, (POLLUTION, FUEL)),
        _veh_ctx(("A lumber company", "{company}"), (E("logging trucks", "logging truck"), E("barges", "barge"),
                 E("freight cars", "freight car")), "tons of lumber", 5, 60, (FUEL,)),
        _veh_ctx(("A school in {city}", "A summer camp", "{company}"), (E("buses", "bus"), E("minivans", "minivan"),
                 E("cars", "car")), "students", 5, 50, (POLLUTION,)),
        _veh_ctx(("A fishing cooperative", "A fish market in {city}"), (E("canoes", "canoe"),
                 E("motorboats", "motorboat"), E("trawlers", "trawler")), "fish", 10, 90, (FUEL,)),
        _veh_ctx(("A milk company", "{company}"), (E("bikes", "bike"), E("cars", "car"), E("vans", "van")),
                 "bottles of milk", 10, 80, (POLLUTION,)),
        _veh_ctx(("An airport", "A charter operator"), (E("commercial planes", "commercial plane"),
                 E("private planes", "private plane"), E("helicopters", "helicopter")), "travelers", 5, 200, (FUEL,)),
        _veh_ctx(("A manufacturing plant", "{company}"), (E("shuttle buses", "shuttle bus"), E("taxis", "taxi"),
                 E("carpool vans", "carpool van")), "workers", 3, 30, (POLLUTION,)),
        _veh_ctx(("A food distributor", "{company}"), (E("trucks", "truck"), E("boats", "boat"),
                 E("trains", "train")), "units of product", 20, 90, (POLLUTION,)),
        _veh_ctx(("A tourism company", "A tour operator in {city}"), (E("minivans", "minivan"),
                 E("tour buses", "tour bus"), E("jeeps", "jeep")), "tourists", 4, 50, (FUEL,)),
    ),
    make=("use", "used"),
    relations=("ub", "lb", "ratio_ge", "ratio_le", "xby", "xy", "diff", "total_le"),
    n_le={"easy": (1, 1), "medium": (1, 2), "hard": (1, 2)},
    n_ge={"easy": (1, 1), "medium": (1, 1), "hard": (1, 1)},
    x_range=(3, 40),
)

# --- 4. diet ------------------------------------------------------------------------------------------------

NUTRIENTS = (Attr("protein", "grams of protein", lo=2, hi=30, verbs=("contains", "provides", "has")),
             Attr("carbs", "grams of carbohydrates", lo=5, hi=50, verbs=("contains", "provides", "has")),
             Attr("calcium", "mg of calcium", lo=10, hi=300, verbs=("contains", "provides")),
             Attr("iron", "mg of iron", lo=1, hi=10, verbs=("contains", "provides")),
             Attr("vitamin_a", "units of vitamin A", lo=1, hi=20, verbs=("contains", "provides")),
             Attr("fiber", "grams of fiber", lo=1, hi=12, verbs=("contains", "has", "provides")))
SUGAR = Attr("sugar", "grams of sugar", lo=1, hi=25, verbs=("contains", "has"), limit=INTAKE_LIM)
FAT = Attr("fat", "grams of fat", lo=1, hi=20, verbs=("contains", "has"), limit=INTAKE_LIM)
SODIUM = Attr("sodium", "mg of sodium", lo=20, hi=400, verbs=("contains", "has"), limit=INTAKE_LIM)

DIET = Scenario(
    "diet", "Choose servings of foods to meet nutrient minimums (and limits) at minimum cost.",
    intro=("{S} wants a cheap diet made of {ents}.", "{S} plans meals from {ents}.",
           "{S} can buy {ents}.", "A nutritionist tells {s} to eat {ents}."),
    contexts=(
        _ctx(("{person}", "A student", "An athlete", "A patient"),
             (E("servings of oatmeal", "serving of oatmeal"), E("eggs", "egg"), E("glasses of milk", "glass of milk"),
              E("bananas", "banana"), E("servings of rice", "serving of rice"), E("cans of tuna", "can of tuna"),
              E("protein bars", "protein bar"), E("apples", "apple")),
             le=(SUGAR, FAT, SODIUM), ge=NUTRIENTS, items="servings"),
        _ctx(("A farmer", "{person}, who raises pigs,", "A poultry farm"),
             (E("bags of feed A", "bag of feed A"), E("bags of feed B", "bag of feed B"),
              E("bags of feed C", "bag of feed C"), E("bales of hay", "bale of hay")),
             ge=(Attr("protein", "units of protein", lo=2, hi=20, verbs=("contains", "provides")),
                 Attr("minerals", "units of minerals", lo=1, hi=10, verbs=("contains", "provides")),
                 Attr("vitamins", "units of vitamins", lo=1, hi=12, verbs=("contains", "provides"))),
             le=(FAT,), items="bags", intro=("{S} feeds the animals with {ents}.", "{S} can buy {ents}.")),
        _ctx(("A gardener", "{person}", "A greenhouse in {city}"),
             (E("bags of fertilizer X", "bag of fertilizer X"), E("bags of fertilizer Y", "bag of fertilizer Y"),
              E("bags of compost", "bag of compost")),
             ge=(Attr("nitrogen", "units of nitrogen", lo=1, hi=15, verbs=("contains", "provides")),
                 Attr("phosphoric", "units of phosphoric acid", lo=1, hi=12, verbs=("contains", "provides")),
                 Attr("potassium", "units of potassium", lo=1, hi=10, verbs=("contains", "provides"))),
             le=(Attr("chlorine", "units of chlorine", lo=1, hi=6, verbs=("contains", "releases"),
                      limit=("{le} {amt} may end up in the soil{p}.", "Chlorine is limited to {amt}{p}.")),),
             items="bags",
             intro=("{S} can buy {ents}.", "{S} fertilizes the soil with {ents}.")),
    ),
    objectives=(MIN_COST,),
    make=("buy", "bought"),
    relations=("ub", "lb", "ratio_le", "ratio_ge", "xby", "total_le"),
    n_le={"easy": (0, 0), "medium": (0, 1), "hard": (1, 1)},
    n_ge={"easy": (2, 2), "medium": (2, 3), "hard": (3, 3)},
)

# --- 5. minimise an intake subject to needs -------------------------------------------------------------

INTAKE = Scenario(
    "intake_min", "Servings of two or three options: meet needs, respect limits, minimise an unwanted intake.",
    intro=("{S} can take {ents}.", "{S} is choosing between {ents}.", "{S} mixes {ents}.",
           "To recover, {s} takes {ents}."),
    contexts=(
        _ctx(("A patient", "{person}", "An elderly patient"),
             (E("sleeping pills", "sleeping pill"), E("sleep supplements", "sleep supplement"),
              E("herbal teas", "herbal tea")),
             ge=(Attr("sleepiness", "units of sleepiness", lo=1, hi=6, verbs=("adds", "provides", "gives")),),
             le=(Attr("discomfort", "units of discomfort", lo=0.1, hi=0.9, verbs=("causes", "introduces"),
                      limit=("{S} can tolerate {le} {amt}{p}.", "{le} {amt} can be tolerated{p}.")),),
             objectives=(Objective("minimize", SUGAR, ("sugar intake", "the total sugar intake", "the sugar consumed")),),
             intro=("To sleep better, {s} can take {ents}.", "{S} is choosing between {ents}.")),
        _ctx(("An athlete", "{person}", "A fitness trainer"),
             (E("chocolate shakes", "chocolate shake"), E("vanilla shakes", "vanilla shake"),
              E("salmon lunches", "salmon lunch"), E("bison burgers", "bison burger")),
             ge=NUTRIENTS[:2],
             le=(SODIUM,),
             objectives=(Objective("minimize", FAT, ("fat intake", "the total fat intake", "the fat consumed")),
                         Objective("minimize", SUGAR, ("sugar intake", "the total sugar intake"))),
             intro=("{S} meal-preps {ents}.", "{S} eats {ents}.", "{S} is choosing between {ents}.")),
        _ctx(("A nurse's patient", "{person}", "A child"),
             (E("glasses of milk", "glass of milk"), E("protein shakes", "protein shake"),
              E("servings of fruit", "serving of fruit"), E("glasses of juice", "glass of juice")),
             ge=(NUTRIENTS[2], NUTRIENTS[0], Attr("hydration", "units of hydration", lo=1, hi=8,
                                                  verbs=("provides", "gives"))),
             objectives=(Objective("minimize", SUGAR, ("sugar intake", "the total sugar intake")),
                         Objective("minimize", FAT, ("fat intake", "the total fat intake")))),
        _ctx(("A physics class", "A chemistry teacher", "A science club"),
             (E("force experiments", "force experiment"), E("hydraulics experiments", "hydraulics experiment"),
              E("volcano experiments", "volcano experiment")),
             ge=(Attr("excitement", "units of excitement", lo=1, hi=8, verbs=("creates", "produces")),),
             le=(Attr("solid", "units of the solid", lo=2, hi=9, verbs=("uses", "requires")),
                 Attr("gas", "units of the gas", lo=1, hi=8, verbs=("uses", "requires"))),
             objectives=(Objective("minimize", Attr("heat", "units of heat", lo=1, hi=5, verbs=("produces", "gives off")),
                                   ("the heat produced", "the total amount of heat")),),
             intro=("{S} performs {ents}.", "{S} shows the students {ents}.")),
    ),
    make=("take", "taken"),
    relations=("ub", "lb", "ratio_ge", "ratio_le", "xby", "xy"),
    n_le={"easy": (0, 1), "medium": (0, 1), "hard": (1, 2)},
    n_ge={"easy": (1, 1), "medium": (1, 2), "hard": (1, 2)},
)

# --- 6. staffing -----------------------------------------------------------------------------------------------

WAGE = Attr("wage", "", money=True, lo=100, hi=3000)
STAFFING = Scenario(
    "staffing", "Hire worker types: hours or output to cover, a wage budget, mins and ratios between types.",
    intro=("{S} hires {ents}.", "{S} employs {ents}.", "{S} can staff its operation with {ents}.",
           "{S} needs to decide how many {ents} to schedule."),
    contexts=(
        _ctx(("A software company", "{company}"), (E("UI designers", "UI designer"),
             E("software engineers", "software engineer"), E("data analysts", "data analyst"), E("testers", "tester")),
             le=(WAGE,), ge=(Attr("hours", "hours of work", lo=10, hi=45, verbs=("works", "provides"),
                                  need=("{ge} {amt} must be covered{p}.", "The contracts require {ge} {amt}{p}.")),
                             Attr("projects", "project tasks", lo=1, hi=8, verbs=("completes", "handles"))),
             items="workers"),
        _ctx(("A dental clinic", "A hospital in {city}", "{company}"), (E("dentists", "dentist"),
             E("hygienists", "hygienist"), E("nurses", "nurse"), E("receptionists", "receptionist")),
             le=(WAGE,), ge=(Attr("hours", "hours per shift", lo=4, hi=12, verbs=("works", "covers")),
                             Attr("patients", "patients", lo=2, hi=20, verbs=("treats", "sees"), whole=True)),
             items="staff members"),
        _ctx(("A tutoring company", "A school in {city}"), (E("full-time tutors", "full-time tutor"),
             E("assistant tutors", "assistant tutor"), E("volunteers", "volunteer")),
             le=(WAGE,), ge=(Attr("hours", "hours of teaching", lo=2, hi=10, verbs=("provides", "teaches")),),
             items="tutors"),
        _ctx(("An architecture firm", "{company}"), (E("architects", "architect"), E("drafters", "drafter"),
             E("interns", "intern")),
             le=(WAGE,), ge=(Attr("projects", "projects per week", lo=1, hi=4, verbs=("completes", "handles")),),
             items="employees"),
        _ctx(("A restaurant", "{person}'s diner", "A catering company"), (E("chefs", "chef"), E("waiters", "waiter"),
             E("dishwashers", "dishwasher"), E("cooks", "cook")),
             le=(WAGE,), ge=(Attr("hours", "hours per week", lo=10, hi=40, verbs=("works", "covers")),
                             Attr("covers", "meals per shift", lo=5, hi=40, verbs=("serves", "handles"))),
             items="employees"),
    ),
    objectives=(Objective("minimize", WAGE, ("the wage bill", "the total wages", "labor costs", "the payroll")),
                Objective("minimize", None, ("the total number of workers", "the staff size", "the headcount"))),
    make=("hire", "hired"),
    relations=("lb", "ub", "total_ge", "ratio_ge", "xby", "xy"),
    n_le={"easy": (0, 1), "medium": (0, 1), "hard": (1, 1)},
    n_ge={"easy": (1, 1), "medium": (1, 2), "hard": (1, 2)},
    x_range=(3, 40),
)

# --- 7. advertising ----------------------------------------------------------------------------------------------

AD_COST = Attr("cost", "", money=True, lo=100, hi=8000)
VIEWERS = Attr("viewers", "viewers", lo=1000, hi=30000, verbs=("reaches", "attracts"))
ADVERTISING = Scenario(
    "advertising", "Number of ads of each medium: budget, limits and shares; maximise audience.",
    intro=("{S} wants to advertise using {ents}.", "{S} is planning a campaign with {ents}.",
           "{S} can buy {ents}."),
    contexts=(
        _ctx(("A company", "{company}", "A new restaurant in {city}", "A political campaign"),
             (E("magazine ads", "magazine ad"), E("flyers", "flyer"), E("billboards", "billboard"),
              E("radio spots", "radio spot"), E("TV commercials", "TV commercial"),
              E("social media posts", "social media post"), E("podcast ads", "podcast ad")),
             le=(AD_COST, Attr("staff", "hours of staff time", lo=1, hi=10, verbs=("requires", "takes"))),
             items="ads",
             objectives=(Objective("maximize", VIEWERS, ("the number of viewers", "the total audience",
                                                           "total viewership", "the reach")),)),
    ),
    make=("run", "run"),
    relations=("ub", "lb", "ratio_le", "ratio_ge", "xy", "total_le"),
    n_le={"easy": (1, 1), "medium": (1, 1), "hard": (1, 2)},
    x_range=(2, 30),
)

# --- 8. farm planning (continuous acres) ---------------------------------------------------------------------------

FARM = Scenario(
    "farm_planning", "Acres of crops on limited land and resources; maximise profit.",
    intro=("{S} grows {ents}.", "{S} has land for {ents}.", "{S} wants to plant {ents}.",
           "{S} must decide how to divide the farm between {ents}."),
    contexts=(
        _ctx(("A farmer", "{person}", "A family farm near {city}", "{person}, a grower,"),
             (M("wheat", "acre"), M("corn", "acre"), M("soybeans", "acre"), M("strawberries", "acre"),
              M("watermelons", "acre"), M("potatoes", "acre"), M("carrots", "acre"), M("barley", "acre")),
             le=(Attr("watering", "days of watering", lo=0.1, hi=2), Attr("spraying", "days of spraying", lo=0.2, hi=2),
                 Attr("fertilizer", "kg of fertilizer", lo=10, hi=80), Attr("labor", "hours of labor", lo=2, hi=20),
                 COST_L),
             items="acres"),
        _ctx(("A tree nursery", "{company}"),
             (M("pine saplings", "plot"), M("oak saplings", "plot"), M("maple saplings", "plot")),
             le=(Attr("water", "liters of water", lo=50, hi=500), Attr("labor", "hours of labor", lo=2, hi=20)),
             items="plots"),
    ),
    objectives=(MAX_PROFIT,),
    make=("plant", "planted"),
    relations=("total_le", "total_le", "lb", "ub", "ratio_ge", "ratio_le", "xby", "xy"),
    n_le={"easy": (1, 1), "medium": (1, 2), "hard": (2, 3)},
    n_ge={"easy": (0, 0), "medium": (0, 0), "hard": (0, 0)},
    x_range=(10, 90),
)

# --- 9. containers (maximise the amount shipped) ----------------------------------------------------------------

CONTAINERS = Scenario(
    "container_shipping", "Containers of different sizes with availability limits; maximise what is shipped.",
    intro=("{S} ships its product in {ents}.", "{S} can pack orders in {ents}.",
           "{S} delivers using {ents}."),
    contexts=(
        _ctx(("A strawberry farmer", "{person}"), (E("boxes", "box"), E("buckets", "bucket"), E("crates", "crate")),
             le=(Attr("cost", "", money=True, lo=1, hi=12),), items="containers",
             objectives=(Objective("maximize", Attr("holds", "units of strawberries", lo=3, hi=15,
                                                    verbs=("holds", "contains")),
                                   ("the amount of strawberries transported", "the total strawberries shipped")),)),
        _ctx(("A smoothie shop", "{company}"), (E("specialty bags", "specialty bag"), E("medium bags", "medium bag"),
             E("small bags", "small bag")), le=(Attr("weight", "kg", lo=1, hi=8,
                                                     verbs=("weighs",), noun="weight"),), items="bags",
             objectives=(Objective("maximize", Attr("orders", "orders", lo=2, hi=15, verbs=("holds", "fits"), whole=True),
                                   ("the number of orders delivered", "the total orders delivered")),)),
        _ctx(("A paint company", "{company}"), (E("large cans", "large can"), E("small cans", "small can"),
             E("medium cans", "medium can")), le=(Attr("cost", "", money=True, lo=1, hi=20),), items="cans",
             objectives=(Objective("maximize", Attr("litres", "litres of paint", lo=1, hi=10, verbs=("holds",)),
                                   ("the amount of paint transported", "the litres of paint shipped")),)),
    ),
    make=("use", "used"),
    relations=("ub", "ub", "lb", "total_le", "xby", "ratio_le", "ratio_ge"),
    n_le={"easy": (1, 1), "medium": (1, 1), "hard": (1, 1)},
    n_ge={"easy": (0, 0), "medium": (0, 0), "hard": (0, 0)},
)

# --- 10. facilities of several types ----------------------------------------------------------------------------

FACILITIES = Scenario(
    "facility_types", "Open facilities of several types: output to reach, staff available; fewest or cheapest.",
    intro=("{S} can open {ents}.", "{S} is expanding with {ents}.", "{S} may set up {ents}."),
    contexts=(
        _ctx(("A bank", "{company}"), (E("remote branches", "remote branch"), E("urban branches", "urban branch"),
             E("kiosks", "kiosk")),
             ge=(Attr("accounts", "new accounts per day", lo=2, hi=20, verbs=("opens", "registers")),),
             le=(Attr("experts", "registration experts", lo=1, hi=8, verbs=("needs", "requires"), whole=True), COST_L),
             items="branches"),
        _ctx(("A clothing manufacturer", "{company}"), (E("small production lines", "small production line"),
             E("large production lines", "large production line"), E("medium production lines",
                                                                     "medium production line")),
             ge=(Attr("output", "sets of clothing per day", lo=50, hi=600, verbs=("makes", "produces")),),
             le=(Attr("employees", "employees", lo=5, hi=30, verbs=("needs", "takes"), whole=True),), items="lines"),
        _ctx(("A photography firm", "{company}"), (E("film-based stores", "film-based store"),
             E("digital stores", "digital store"), E("pop-up booths", "pop-up booth")),
             ge=(Attr("orders", "orders per hour", lo=1, hi=8, verbs=("processes", "handles")),),
             le=(Attr("printers", "printers", lo=1, hi=6, verbs=("needs", "requires"), whole=True),), items="stores"),
        _ctx(("A supermarket", "A grocery chain in {city}"), (E("large refrigerators", "large refrigerator"),
             E("small refrigerators", "small refrigerator"), E("freezers", "freezer")),
             ge=(Attr("storage", "items of storage", lo=40, hi=150, verbs=("stores", "holds"), whole=True),),
             le=(Attr("power", "kWh of electricity", lo=1, hi=5, verbs=("uses", "draws")),), items="units"),
        _ctx(("A vending machine supplier", "{company}"), (E("double-load machines", "double-load machine"),
             E("single-load machines", "single-load machine")),
             ge=(Attr("sales", "items sold", lo=100, hi=500, verbs=("sells",), whole=True),),
             le=(Attr("electricity", "units of electricity", lo=5, hi=40, verbs=("uses",)),
                 Attr("restocks", "restocks per month", lo=1, hi=6, verbs=("needs",), whole=True)), items="machines"),
        _ctx(("A coffee chain", "{company}"), (E("cafes", "cafe"), E("coffee carts", "coffee cart"),
             E("drive-throughs", "drive-through")),
             ge=(Attr("customers", "customers per hour", lo=10, hi=90, verbs=("serves", "handles")),),
             le=(Attr("baristas", "baristas", lo=1, hi=6, verbs=("needs", "requires"), whole=True), COST_L), items="outlets"),
    ),
    objectives=(Objective("minimize", None, ("the total number of facilities", "the number of sites opened")),
                MIN_COST_L),
    make=("open", "opened"),
    relations=("lb", "ub", "xby", "xy", "ratio_ge"),
    n_le={"easy": (1, 1), "medium": (1, 1), "hard": (1, 2)},
    n_ge={"easy": (1, 1), "medium": (1, 1), "hard": (1, 1)},
    x_range=(3, 40),
)

# --- 11. machine hours (continuous) ------------------------------------------------------------------------------

MACHINES = Scenario(
    "machine_hours", "Hours to run each machine: outputs per hour must meet targets; minimise heat or cost.",
    intro=("{S} can run {ents}.", "{S} uses {ents}.", "Samples can be processed by {ents}."),
    contexts=(
        _ctx(("A lab", "A testing center in {city}", "{company}"),
             (M("Analyzer 3000", "hour"), M("QuickAnalytics", "hour"), M("LabMaster", "hour"), M("SpecPro", "hour")),
             ge=(Attr("water", "water samples", lo=5, hi=60, verbs=("analyzes", "processes")),
                 Attr("dirt", "dirt samples", lo=5, hi=60, verbs=("analyzes", "processes"))),
             le=(Attr("energy", "kWh of energy", lo=1, hi=9, verbs=("uses", "consumes")),), items="hours",
             intro=("Samples can be processed by {ents}.", "{S} can run {ents}.")),
        _ctx(("A print shop", "{company}"),
             (M("press A", "hour"), M("press B", "hour"), M("press C", "hour")),
             ge=(Attr("posters", "posters", lo=20, hi=200, verbs=("prints", "produces")),
                 Attr("flyers", "flyers", lo=50, hi=500, verbs=("prints", "produces"))),
             le=(Attr("ink", "liters of ink", lo=0.5, hi=3, verbs=("uses",)),), items="hours",
             intro=("{S} owns {ents}.", "{S} prints on {ents}.")),
        _ctx(("A factory", "{company}"),
             (M("the old plant", "hour"), M("the new plant", "hour"), M("the night line", "hour")),
             ge=(Attr("widgets", "widgets", lo=10, hi=90, verbs=("makes", "produces")),
                 Attr("gadgets", "gadgets", lo=10, hi=90, verbs=("makes", "produces"))),
             le=(Attr("water", "liters of water", lo=10, hi=90, verbs=("uses",)),), items="hours",
             intro=("{S} can run {ents}.", "{S} splits production between {ents}.")),
    ),
    objectives=(Objective("minimize", Attr("heat", "units of heat", lo=1, hi=8, verbs=("creates", "gives off")),
                          ("the total heat produced", "the heat generated")),
                Objective("minimize", Attr("cost", "", money=True, lo=5, hi=120), ("the operating cost",
                                                                                  "the total cost"))),
    make=("run", "run"),
    relations=("ub", "lb", "xy", "total_le"),
    n_le={"easy": (0, 0), "medium": (0, 1), "hard": (1, 1)},
    n_ge={"easy": (1, 2), "medium": (2, 2), "hard": (2, 2)},
)

# --- 12. batches (maximise an outcome from scarce ingredients) --------------------------------------------------

BATCHES = Scenario(
    "batch_processing", "Batches of two to four kinds share scarce ingredients; maximise the benefit.",
    intro=("{S} makes {ents}.", "{S} processes {ents}.", "{S} prepares {ents} in batches."),
    contexts=(
        _ctx(("A pharmacy", "A university lab", "{company}"),
             (E("batches of anti-inflammatory cream", "batch of anti-inflammatory cream"),
              E("batches of pain-killing cream", "batch of pain-killing cream"),
              E("batches of antiseptic gel", "batch of antiseptic gel")),
             le=(Attr("antibiotics", "units of antibiotics", lo=2, hi=12), Attr("water", "units of water", lo=1, hi=8)),
             items="batches",
             objectives=(Objective("maximize", Attr("people", "people", lo=2, hi=30, verbs=("treats", "can treat"), whole=True),
                                   ("the number of people treated", "the number of patients helped")),)),
        _ctx(("A sanitization plant", "{company}"),
             (E("batches of liquid waste", "batch of liquid waste"), E("batches of solid waste", "batch of solid waste"),
              E("batches of mixed waste", "batch of mixed waste")),
             le=(Attr("disinfectant", "units of disinfectant", lo=5, hi=40),
                 Attr("bacteria", "units of bacteria", lo=5, hi=30)), items="batches",
             objectives=(Objective("maximize", Attr("people", "people served", lo=2, hi=15,
                                                    verbs=("counts for", "serves")),
                                   ("the number of people served",)),)),
        _ctx(("A TCM company", "A herbal shop in {city}"),
             (E("regular packages", "regular package"), E("premium packages", "premium package"),
              E("travel packs", "travel pack")),
             le=(Attr("herbs", "grams of herbs", lo=50, hi=200), Attr("drying", "seconds of drying", lo=20, hi=90,
                                                                     verbs=("needs", "takes"))),
             items="packages", objectives=(MAX_PROFIT_S,)),
    ),
    relations=("xby", "ub", "lb", "ratio_ge", "xy", "diff"),
    n_le={"easy": (1, 2), "medium": (2, 2), "hard": (2, 2)},
    n_ge={"easy": (0, 0), "medium": (0, 0), "hard": (0, 0)},
)

# --- 13. energy mix (continuous) -----------------------------------------------------------------------------------

ENERGY = Scenario(
    "energy_mix", "MWh from several sources: meet demand, cap emissions, minimum renewable share; min cost.",
    intro=("{S} buys electricity from {ents}.", "{S} generates power with {ents}.",
           "{S} sources energy from {ents}."),
    contexts=(
        _ctx(("A utility", "The {city} power authority", "{company}"),
             (M("solar", "MWh"), M("wind", "MWh"), M("gas", "MWh"), M("coal", "MWh"), M("hydro", "MWh")),
             le=(Attr("co2", "tons of CO2", lo=0.1, hi=1, verbs=("emits", "releases"), limit=EMIT),), items="MWh",
             objectives=(Objective("minimize", Attr("cost", "", money=True, lo=20, hi=120),
                                   ("the generation cost", "the total cost")),)),
    ),
    make=("buy", "bought"),
    relations=("total_ge", "total_ge", "ratio_ge", "ratio_le", "ub", "lb"),
    n_le={"easy": (0, 1), "medium": (1, 1), "hard": (1, 1)},
    n_ge={"easy": (0, 0), "medium": (0, 0), "hard": (0, 0)},
    x_range=(20, 300),
)

WORD_SCENARIOS = (PRODUCT_MIX, PRODUCTION_REQ, VEHICLE_TRANSPORT, DIET, INTAKE, STAFFING, ADVERTISING, FARM,
                  CONTAINERS, FACILITIES, MACHINES, BATCHES, ENERGY)

WORD_FAMILIES: tuple[WordFamily, ...] = tuple(WordFamily(s) for s in WORD_SCENARIOS)

"""The words of the demo's records, in the language of the node that writes them.

These are record contents written by the demo's fictional analysts, not interface text: a
United States node's analysts write in English, a Mexican node's in Spanish, as they would.
"""

from __future__ import annotations

from typing import Any

DRUGS = {
    "Fentanyl": ("fentanyl", "fentanilo"),
    "Methamphetamine": ("methamphetamine", "metanfetamina"),
    "Cocaine": ("cocaine", "cocaína"),
    "Heroin": ("heroin", "heroína"),
    "Marijuana": ("marijuana", "marihuana"),
}
# (English, Spanish, unit)
PRECURSORS = (
    ("4-ANPP (4-anilino-N-phenethylpiperidine)", "4-ANPP (4-anilino-N-fenetilpiperidina)", "kg"),
    ("NPP (N-phenethyl-4-piperidone)", "NPP (N-fenetil-4-piperidona)", "kg"),
    ("1-Boc-4-AP", "1-Boc-4-AP", "kg"),
    ("propionyl chloride", "cloruro de propionilo", "l"),
    ("methylamine", "metilamina", "l"),
    ("phenylacetic acid", "ácido fenilacético", "kg"),
    ("P2P (phenyl-2-propanone)", "P2P (fenil-2-propanona)", "l"),
)
PILL_PRESS = ("pill press (tableting machine)", "máquina tableteadora")

HIDING_PLACES = {
    "vehicle-compartment": (
        ("a non-factory compartment in the floor", "un compartimento oculto en el piso"),
        ("the quarter panels", "los costados traseros"),
        ("the spare tire", "la llanta de refacción"),
        ("the dashboard", "el tablero"),
        ("the rocker panels", "los estribos"),
        ("the rear bumper", "la defensa trasera"),
        ("the seats", "los asientos"),
    ),
    "vehicle-fuel-tank": (("the fuel tank", "el tanque de combustible"),),
    "body-carry": (("packages strapped to the body", "paquetes adheridos al cuerpo"),),
    "pedestrian": (
        ("a backpack carried through the pedestrian lanes", "una mochila, en el cruce peatonal"),
    ),
    "luggage": (("luggage on a commercial bus", "el equipaje de un autobús de pasajeros"),),
    "mail-parcel": (("an express consignment parcel", "un paquete de mensajería"),),
}
CARGO = (
    ("tomatoes", "jitomate"),
    ("cucumbers", "pepino"),
    ("limes", "limón"),
    ("avocados", "aguacate"),
    ("bell peppers", "pimiento morrón"),
    ("watermelons", "sandía"),
    ("squash", "calabaza"),
    ("auto parts", "autopartes"),
    ("furniture", "muebles"),
    ("cleaning products", "productos de limpieza"),
)
DETECTIONS = (
    ("a canine alert", "la alerta de un binomio canino"),
    ("a non-intrusive inspection scan anomaly", "una anomalía en la revisión no intrusiva"),
    ("a random compliance examination", "una revisión aleatoria"),
    ("a referral to secondary inspection", "su envío a revisión secundaria"),
    ("a targeting hit", "un análisis de riesgo"),
)
RECOVERY_EVENTS = (
    ("a vehicle checkpoint", "un puesto de control"),
    ("a search of a safe house", "el cateo de una casa de seguridad"),
    ("an armed confrontation", "un enfrentamiento armado"),
    ("the arrest of a cell", "la detención de una célula"),
    ("a highway patrol stop", "una revisión carretera"),
)
RECOVERING_UNITS = ("SEDENA", "Guardia Nacional", "FGR", "SEMAR")
COLORS = (
    ("white", "blanco"),
    ("black", "negro"),
    ("silver", "plata"),
    ("gray", "gris"),
    ("red", "rojo"),
    ("blue", "azul"),
    ("maroon", "guinda"),
)

TEXTS: dict[str, tuple[str, str]] = {
    # locations
    "port.name": ("{name} Port of Entry", "{mx_city} – {name_es}"),
    "port.description": (
        "U.S.–Mexico land port of entry (CBP port code {code}), {office} Field Office; "
        "opposite {mx_city}, Mexico.{crossings}",
        "Cruce fronterizo terrestre frente al puerto de entrada de CBP {name} (código {code}), "
        "{state}, Estados Unidos.",
    ),
    "port.crossings": (" Crossings: {names}.", ""),
    # seizures
    "seizure.name": (
        "{Substance} seizure at {place} — {amount}",
        "Aseguramiento de {substance} en {place} — {amount}",
    ),
    "seizure.port": (
        "CBP officers at the {port} port of entry found {amount} of {substance} in {hiding} "
        "after {detection}.",
        "Personal de la ANAM en la aduana de {port} localizó {amount} de {substance} en "
        "{hiding} tras {detection}.",
    ),
    "seizure.checkpoint": (
        "{amount} of {substance} found in {hiding} at a checkpoint on {place}.",
        "Elementos de la Guardia Nacional localizaron {amount} de {substance} en {hiding} "
        "en el puesto de control de {place}.",
    ),
    "seizure.outbound": (
        "Outbound examination at the {port} port of entry: {amount} of {substance} in "
        "{hiding}, bound for {destination}, Mexico.",
        "Revisión de mercancía de importación en {port}: {amount} de {substance} en "
        "{hiding}, con destino a {destination}.",
    ),
    "seizure.press": (
        "Outbound examination at the {port} port of entry: {count} pill presses (tableting "
        "machines) in {hiding}, bound for {destination}, Mexico.",
        "Personal de la ANAM en la aduana de {port} localizó {count} máquinas tableteadoras en "
        "{hiding}.",
    ),
    "seizure.driver": (
        " The driver, a {age}-year-old {nationality} citizen, was arrested.",
        " El conductor, de {age} años y nacionalidad {nationality}, fue puesto a disposición "
        "del Ministerio Público de la Federación.",
    ),
    "seizure.traveler": (
        " The traveler, a {age}-year-old {nationality} citizen, was arrested.",
        " La persona, de {age} años y nacionalidad {nationality}, fue puesta a disposición "
        "del Ministerio Público de la Federación.",
    ),
    "seizure.vehicle": (" Vehicle: {vehicle}.", " Vehículo: {vehicle}."),
    "seizure.lab": (
        " Laboratory analysis confirmed the substance; net weight corrected to {amount}.",
        " El dictamen pericial confirmó la sustancia; peso neto corregido a {amount}.",
    ),
    "seizure.duplicate": (
        "Entered twice by mistake; see the other record of this seizure.",
        "Capturado dos veces por error; véase el otro registro de este aseguramiento.",
    ),
    "hiding.cargo": ("a commercial shipment of {cargo}", "un cargamento de {cargo}"),
    "pills": ("{count} pills", "{count} pastillas"),
    "units": ("{count} units", "{count} unidades"),
    "nationality.MEX": ("Mexican", "mexicana"),
    "nationality.USA": ("U.S.", "estadounidense"),
    # firearms
    "firearm.description": (
        "Recovered by {unit} in {place} during {event}, with {rounds} rounds of {caliber} "
        "ammunition and {magazines} magazines.",
        "Asegurada por {unit} en {place} durante {event}, con {rounds} cartuchos calibre "
        "{caliber} y {magazines} cargadores.",
    ),
    "firearm.place": ("{city}, {state}, Mexico", "{city}, {state}"),
    "trace.straw": (
        "Traced: first retail sale on {date} at a licensed dealer in {city}, {state}; "
        "time-to-crime {days} days; purchaser and possessor differ (possible straw purchase).",
        "Rastreo ATF (eTrace): primera venta el {date} en un comercio autorizado de {city}, "
        "{state}; {days} días entre la compra y el aseguramiento; el comprador no es el "
        "poseedor.",
    ),
    "trace.stolen": (
        "Traced: sold on {date} by a licensed dealer in {city}, {state}; reported stolen "
        "from the purchaser {days} days later.",
        "Rastreo ATF (eTrace): vendida el {date} en {city}, {state}; reportada como robada "
        "{days} días después.",
    ),
    "trace.importer": (
        "Traced to the importer ({importer}); no retail sale record found yet.",
        "Rastreo ATF (eTrace): identificado el importador ({importer}); sin registro de venta "
        "al menudeo.",
    ),
    "trace.obliterated": (
        "Serial number obliterated; restored by the laboratory, trace pending.",
        "Número de serie limado; restaurado por servicios periciales, rastreo en trámite.",
    ),
    "trace.pending": ("Trace requested; no result yet.", "Rastreo solicitado; sin resultado."),
    # vehicles
    "vehicle.crossings": (
        "Crossed northbound at {port} {count} times in the 30 days before {date}.",
        "Cruzó hacia el norte por {port} {count} veces en los 30 días previos al {date}.",
    ),
    "vehicle.stolen": (
        "Reported stolen in {city} on {date}.",
        "Con reporte de robo en {city} desde el {date}.",
    ),
    "vehicle.tractor": (
        "Tractor registered to a freight carrier in {city}; commercial lanes.",
        "Tractocamión registrado a una empresa de autotransporte de {city}.",
    ),
    "vehicle.checkpoint": (
        "Stopped at a checkpoint on {place} on {date}.",
        "Revisado en el puesto de control de {place} el {date}.",
    ),
    "vehicle.plain": ("Seen at {port}.", "Visto en {port}."),
    # persons
    "person.leader": (
        "Regional plaza boss for the {cartel} in {city}; coordinates crossings through the "
        "{port} corridor (informant reporting).",
        "Jefe de plaza del {cartel} en {city}; coordina los cruces por el corredor de "
        "{port} (información de fuente humana).",
    ),
    "person.logistics": (
        "Logistics operator for the {cartel}; recruits drivers and runs stash houses in {city}.",
        "Operador logístico del {cartel}; recluta choferes y administra casas de seguridad "
        "en {city}.",
    ),
    "person.finance": (
        "Collects proceeds and arranges bulk-cash transfers for the {cartel}.",
        "Recauda ganancias y organiza traslados de efectivo para el {cartel}.",
    ),
    "person.courier": (
        "Arrested at the {port} port of entry; states that {pronoun} was paid {amount} dollars "
        "to bring the load across.",
        "Persona detenida en {port}; declaró que le pagaron {amount} dólares por cruzar la carga.",
    ),
    "person.straw": (
        "Bought {count} firearms at licensed dealers in {city}, {state} over {months} months; "
        "several were later recovered in Mexico.",
        "Compró {count} armas en comercios autorizados de {city}, {state} en {months} meses; "
        "varias se aseguraron después en México.",
    ),
    "person.broker": (
        "Arranges firearms purchases in {state} and their southbound transport for the {cartel}.",
        "Gestiona la compra de armas en {state} y su traslado al sur para el {cartel}.",
    ),
    "person.new_alias": (
        " Also known as {alias} (new reporting).",
        " También conocido como {alias} (información reciente).",
    ),
    # relationships
    "rel.member": (
        "Membership assessed from informant reporting and seizures.",
        "Pertenencia valorada con información de fuentes y aseguramientos.",
    ),
    "rel.driver": ("Driver at the time of the seizure.", "Conductor al momento del aseguramiento."),
    "rel.carrier": ("Arrested carrying the load.", "Detenida con la carga."),
    "rel.vehicle": ("Vehicle used in the seizure.", "Vehículo utilizado en el aseguramiento."),
    "rel.owner": ("Registered owner.", "Propietario registrado."),
    "rel.purchaser": ("First retail purchaser (trace).", "Primer comprador (rastreo)."),
    "rel.attributed": (
        "Recovered in an area the organization controls or contests.",
        "Asegurada en una zona que la organización controla o disputa.",
    ),
    "rel.incident": ("Where it happened.", "Lugar de los hechos."),
    "rel.plaza": (
        "Controls or contests this crossing (public reporting).",
        "Controla o disputa este cruce (información pública).",
    ),
    # notes, reports, incidents
    "note.moved": (
        "Subject reportedly moved to {city} in {month}; uses the alias {alias} on messaging apps.",
        "Según reportes, la persona se mudó a {city} en {month}; usa el alias {alias} en "
        "aplicaciones de mensajería.",
    ),
    "note.moved.abstract": ("New whereabouts", "Nuevo paradero"),
    "note.lab": (
        "Laboratory result: {substance} confirmed; tablets pressed to imitate M30 oxycodone.",
        "Dictamen: se confirma {substance}; pastillas prensadas para imitar oxicodona M30.",
    ),
    "note.lab.abstract": ("Laboratory result", "Dictamen pericial"),
    "note.cluster": (
        "{count} firearms in this set were bought by the same purchaser within {days} days.",
        "{count} armas de este grupo fueron compradas por la misma persona en {days} días.",
    ),
    "note.cluster.abstract": ("Purchase pattern", "Patrón de compra"),
    "report.seizures.name": (
        "Fentanyl seizures at Southwest border ports, last 90 days",
        "Aseguramientos de fentanilo en aduanas de la frontera norte, últimos 90 días",
    ),
    "report.seizures.description": (
        "{count} fentanyl seizures recorded by CBP at Southwest border ports of entry.",
        "{count} aseguramientos de fentanilo registrados en aduanas de la frontera norte.",
    ),
    "report.firearms.name": (
        "Southbound firearms: traced recoveries in Mexico",
        "Armas aseguradas en México con rastreo en Estados Unidos",
    ),
    "report.firearms.description": (
        "{count} firearms recovered in Mexico and traced, with the organizations they are "
        "attributed to.",
        "{count} armas aseguradas en México y rastreadas, con las organizaciones a las que se "
        "atribuyen.",
    ),
    "incident.runner.name": (
        "Port runner at the {port} port of entry",
        "Vehículo evadió la revisión en {port}",
    ),
    "incident.runner.description": (
        "A vehicle refused secondary inspection and fled north through the {port} port of "
        "entry; it was stopped {miles} miles away.",
        "Un vehículo evadió la revisión en {port} y huyó; fue detenido a {km} km.",
    ),
    "incident.tunnel.name": (
        "Cross-border tunnel found near the {port} port of entry",
        "Hallazgo de túnel transfronterizo en {port}",
    ),
    "incident.tunnel.description": (
        "An unfinished tunnel, about {length} feet long, was found running from a house in "
        "{mx_city} toward the {port} port of entry.",
        "Se localizó un túnel inconcluso de unos {length} metros, desde una vivienda de "
        "{mx_city} hacia la línea fronteriza.",
    ),
    "handling.investigation": (
        "Ongoing investigation: do not contact or approach the subject; coordinate with "
        "{agency} before any action.",
        "Investigación en curso: no contactar ni abordar a la persona; coordinar con {agency} "
        "antes de cualquier acción.",
    ),
    "handling.sealed": (
        "Sealed charging document: do not disclose beyond the named recipients.",
        "Orden reservada: no divulgar más allá de los destinatarios nombrados.",
    ),
}


def say(lang: str, key: str, **params: Any) -> str:
    english, spanish = TEXTS[key]
    return (spanish if lang == "es" else english).format(**params)


def pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "es" else pair[0]

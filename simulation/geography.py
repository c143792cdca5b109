"""Synthetic but plausible geography: towns, postcode districts, dialling codes, datazones and SIMD ranks.

Geography is fixed reality, not simulated: it uses its own constant seed, so a datazone has the same
SIMD rank whatever the simulation seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from carestats.dictionary import load_dictionary

OUTSIDE_SCOTLAND = "outside Scotland"
SIMD_ZONES = 6976
FIRST_DATAZONE = 6506  # S01006506, the first 2011 datazone
GEOGRAPHY_SEED = 20200128  # SIMD 2020 publication day

# Per council: "town:postcode districts:dialling code:weight", towns separated by ";". A fifth field names a
# health board other than the council's main one (Rutherglen and Cambuslang are in Greater Glasgow and Clyde).
TOWNS: dict[str, str] = {
    "Aberdeen City": "Aberdeen:AB10 AB11 AB12 AB15 AB16 AB21 AB22 AB24 AB25:01224:20;Dyce:AB21:01224:1;"
    "Cults:AB15:01224:1;Bucksburn:AB21:01224:1",
    "Aberdeenshire": "Peterhead:AB42:01779:4;Fraserburgh:AB43:01346:3;Inverurie:AB51:01467:3;"
    "Stonehaven:AB39:01569:2;Ellon:AB41:01358:2;Westhill:AB32:01224:2;Banff:AB45:01261:1;"
    "Turriff:AB53:01888:1;Huntly:AB54:01466:1;Banchory:AB31:01330:1;Portlethen:AB12:01224:1;"
    "Laurencekirk:AB30:01561:1;Kintore:AB51:01467:1;Alford:AB33:019755:1",
    "Angus": "Arbroath:DD11:01241:4;Forfar:DD8:01307:3;Montrose:DD10:01674:2;Carnoustie:DD7:01241:2;"
    "Brechin:DD9:01356:1;Kirriemuir:DD8:01575:1;Monifieth:DD5:01382:1",
    "Argyll & Bute": "Oban:PA34:01631:3;Helensburgh:G84:01436:3;Dunoon:PA23:01369:2;Campbeltown:PA28:01586:1;"
    "Rothesay:PA20:01700:1;Lochgilphead:PA31:01546:1;Tobermory:PA75:01688:1",
    "City of Edinburgh": "Edinburgh:EH1 EH3 EH4 EH5 EH6 EH7 EH8 EH9 EH10 EH11 EH12 EH13 EH14 EH15 EH16 EH17"
    ":0131:30;South Queensferry:EH30:0131:1;Currie:EH14:0131:1;Balerno:EH14:0131:1",
    "Clackmannanshire": "Alloa:FK10:01259:4;Tillicoultry:FK13:01259:1;Alva:FK12:01259:1;Dollar:FK14:01259:1;"
    "Tullibody:FK10:01259:1",
    "Dumfries & Galloway": "Dumfries:DG1 DG2:01387:6;Stranraer:DG9:01776:2;Annan:DG12:01461:2;"
    "Castle Douglas:DG7:01556:1;Lockerbie:DG11:01576:1;Dalbeattie:DG5:01556:1;"
    "Kirkcudbright:DG6:01557:1;Newton Stewart:DG8:01671:1;Moffat:DG10:01683:1",
    "Dundee City": "Dundee:DD1 DD2 DD3 DD4 DD5:01382:10;Broughty Ferry:DD5:01382:1",
    "East Ayrshire": "Kilmarnock:KA1 KA3:01563:6;Cumnock:KA18:01290:2;Stewarton:KA3:01560:1;"
    "Galston:KA4:01563:1;Dalmellington:KA6:01292:1;Newmilns:KA16:01560:1",
    "East Dunbartonshire": "Kirkintilloch:G66:0141:3;Bearsden:G61:0141:3;Milngavie:G62:0141:2;"
    "Bishopbriggs:G64:0141:3;Lennoxtown:G66:01360:1;Lenzie:G66:0141:1",
    "East Lothian": "Musselburgh:EH21:0131:3;Haddington:EH41:01620:2;North Berwick:EH39:01620:1;"
    "Dunbar:EH42:01368:2;Prestonpans:EH32:01875:1;Tranent:EH33:01875:2",
    "East Renfrewshire": "Newton Mearns:G77:0141:3;Barrhead:G78:0141:2;Giffnock:G46:0141:2;"
    "Clarkston:G76:0141:2;Eaglesham:G76:01355:1;Thornliebank:G46:0141:1",
    "Falkirk": "Falkirk:FK1 FK2:01324:6;Grangemouth:FK3:01324:2;Larbert:FK5:01324:2;Bo'ness:EH51:01506:1;"
    "Denny:FK6:01324:1;Polmont:FK2:01324:1;Bonnybridge:FK4:01324:1",
    "Fife": "Dunfermline:KY11 KY12:01383:6;Kirkcaldy:KY1 KY2:01592:5;Glenrothes:KY6 KY7:01592:4;"
    "St Andrews:KY16:01334:2;Cupar:KY15:01334:1;Leven:KY8:01333:2;Cowdenbeath:KY4:01383:1;"
    "Lochgelly:KY5:01592:1;Burntisland:KY3:01592:1;Rosyth:KY11:01383:1;Dalgety Bay:KY11:01383:1;"
    "Tayport:DD6:01382:1;Anstruther:KY10:01333:1",
    "Glasgow City": "Glasgow:G1 G2 G3 G4 G5 G11 G12 G13 G14 G15 G20 G21 G22 G23 G31 G32 G33 G34 G40 G41 G42 "
    "G43 G44 G45 G51 G52 G53:0141:1",
    "Highland": "Inverness:IV1 IV2 IV3:01463:10;Fort William:PH33:01397:2;Nairn:IV12:01667:2;"
    "Thurso:KW14:01847:1;Wick:KW1:01955:1;Dingwall:IV15:01349:1;Aviemore:PH22:01479:1;"
    "Alness:IV17:01349:1;Invergordon:IV18:01349:1;Portree:IV51:01478:1;Tain:IV19:01862:1;"
    "Golspie:KW10:01408:1;Ullapool:IV26:01854:1;Fort Augustus:PH32:01320:1",
    "Inverclyde": "Greenock:PA15 PA16:01475:5;Port Glasgow:PA14:01475:2;Gourock:PA19:01475:2;"
    "Kilmacolm:PA13:01505:1",
    "Midlothian": "Dalkeith:EH22:0131:3;Penicuik:EH26:01968:2;Bonnyrigg:EH19:0131:2;Loanhead:EH20:0131:1;"
    "Gorebridge:EH23:01875:1;Mayfield:EH22:0131:1",
    "Moray": "Elgin:IV30:01343:5;Forres:IV36:01309:2;Buckie:AB56:01542:2;Keith:AB55:01542:1;"
    "Lossiemouth:IV31:01343:1;Fochabers:IV32:01343:1;Aberlour:AB38:01340:1",
    "Na h-Eileanan Siar": "Stornoway:HS1 HS2:01851:5;Benbecula:HS7:01870:1;Isle of Harris:HS3:01859:1;"
    "Lochmaddy:HS6:01876:1;Isle of Barra:HS9:01871:1",
    "North Ayrshire": "Irvine:KA11 KA12:01294:5;Kilwinning:KA13:01294:2;Saltcoats:KA21:01294:2;"
    "Ardrossan:KA22:01294:1;Largs:KA30:01475:2;Stevenston:KA20:01294:1;Beith:KA15:01505:1;"
    "Dalry:KA24:01294:1;Brodick:KA27:01770:1",
    "North Lanarkshire": "Motherwell:ML1:01698:4;Wishaw:ML2:01698:3;Airdrie:ML6:01236:3;"
    "Coatbridge:ML5:01236:3;Cumbernauld:G67 G68:01236:4;Bellshill:ML4:01698:2;"
    "Kilsyth:G65:01236:1;Shotts:ML7:01501:1;Chryston:G69:0141:1",
    "Orkney Islands": "Kirkwall:KW15:01856:5;Stromness:KW16:01856:2;St Margaret's Hope:KW17:01856:1",
    "Perth & Kinross": "Perth:PH1 PH2:01738:8;Blairgowrie:PH10:01250:2;Crieff:PH7:01764:2;"
    "Pitlochry:PH16:01796:1;Kinross:KY13:01577:1;Auchterarder:PH3:01764:1;"
    "Aberfeldy:PH15:01887:1;Coupar Angus:PH13:01828:1",
    "Renfrewshire": "Paisley:PA1 PA2 PA3:0141:6;Renfrew:PA4:0141:2;Johnstone:PA5:01505:2;Erskine:PA8:0141:2;"
    "Linwood:PA3:01505:1;Bishopton:PA7:01505:1;Houston:PA6:01505:1",
    "Scottish Borders": "Galashiels:TD1:01896:3;Hawick:TD9:01450:3;Peebles:EH45:01721:2;Kelso:TD5:01573:2;"
    "Selkirk:TD7:01750:1;Jedburgh:TD8:01835:1;Eyemouth:TD14:01890:1;Duns:TD11:01361:1;"
    "Melrose:TD6:01896:1",
    "Shetland Islands": "Lerwick:ZE1:01595:5;Brae:ZE2:01806:1;Scalloway:ZE1:01595:1;Sandwick:ZE2:01950:1",
    "South Ayrshire": "Ayr:KA7 KA8:01292:6;Prestwick:KA9:01292:2;Troon:KA10:01292:2;Girvan:KA26:01465:1;"
    "Maybole:KA19:01655:1",
    "South Lanarkshire": "Hamilton:ML3:01698:4;East Kilbride:G74 G75:01355:4;"
    "Rutherglen:G73:0141:2:Greater Glasgow and Clyde;"
    "Cambuslang:G72:0141:2:Greater Glasgow and Clyde;Lanark:ML11:01555:1;"
    "Carluke:ML8:01555:1;Larkhall:ML9:01698:1;Blantyre:G72:01698:1;"
    "Uddingston:G71:01698:1;Strathaven:ML10:01357:1;Biggar:ML12:01899:1",
    "Stirling": "Stirling:FK7 FK8 FK9:01786:6;Bridge of Allan:FK9:01786:1;Dunblane:FK15:01786:2;"
    "Callander:FK17:01877:1;Bannockburn:FK7:01786:1;Balfron:G63:01360:1",
    "West Dunbartonshire": "Clydebank:G81:0141:4;Dumbarton:G82:01389:3;Alexandria:G83:01389:2;"
    "Balloch:G83:01389:1",
    "West Lothian": "Livingston:EH54:01506:6;Bathgate:EH48:01506:3;Linlithgow:EH49:01506:2;"
    "Broxburn:EH52:01506:2;Whitburn:EH47:01501:1;Armadale:EH48:01501:1;"
    "West Calder:EH55:01506:1",
    OUTSIDE_SCOTLAND: "London:EC1 EC2 E14 SE1 N1:020:6;Milton Keynes:MK9:01908:2;Romford:RM1:01708:1;"
    "Ilford:IG1:020:1;Runcorn:WA7:01928:1;Manchester:M1 M2:0161:1;Birmingham:B1 B2:0121:1;"
    "Newcastle upon Tyne:NE1:0191:1;Carlisle:CA1:01228:1",
}

# 2011 datazones per council (6,976 in all); blocks are numbered in the dictionary's council order.
DATAZONES: dict[str, int] = {
    "Aberdeen City": 283,
    "Aberdeenshire": 340,
    "Angus": 155,
    "Argyll & Bute": 125,
    "City of Edinburgh": 597,
    "Clackmannanshire": 72,
    "Dumfries & Galloway": 201,
    "Dundee City": 188,
    "East Ayrshire": 163,
    "East Dunbartonshire": 130,
    "East Lothian": 132,
    "East Renfrewshire": 122,
    "Falkirk": 214,
    "Fife": 494,
    "Glasgow City": 746,
    "Highland": 312,
    "Inverclyde": 114,
    "Midlothian": 115,
    "Moray": 116,
    "Na h-Eileanan Siar": 36,
    "North Ayrshire": 186,
    "North Lanarkshire": 447,
    "Orkney Islands": 29,
    "Perth & Kinross": 186,
    "Renfrewshire": 225,
    "Scottish Borders": 143,
    "Shetland Islands": 30,
    "South Ayrshire": 153,
    "South Lanarkshire": 431,
    "Stirling": 121,
    "West Dunbartonshire": 121,
    "West Lothian": 249,
}

# Deprivation tilt of each council's datazones (negative: more deprived), for SIMD ranks.
DEPRIVATION: dict[str, float] = {
    "Glasgow City": -0.8,
    "Dundee City": -0.6,
    "Inverclyde": -0.6,
    "West Dunbartonshire": -0.5,
    "North Ayrshire": -0.4,
    "North Lanarkshire": -0.3,
    "East Ayrshire": -0.3,
    "Renfrewshire": -0.2,
    "Clackmannanshire": -0.2,
    "Falkirk": -0.1,
    "Fife": -0.1,
    "South Lanarkshire": -0.1,
    "West Lothian": -0.1,
    "Aberdeen City": 0.2,
    "City of Edinburgh": 0.2,
    "Stirling": 0.2,
    "Moray": 0.2,
    "Perth & Kinross": 0.3,
    "Aberdeenshire": 0.5,
    "East Lothian": 0.4,
    "Orkney Islands": 0.4,
    "Shetland Islands": 0.5,
    "East Renfrewshire": 0.8,
    "East Dunbartonshire": 0.8,
}

INTEGRATION_AUTHORITY: dict[str, str] = {
    "City of Edinburgh": "Edinburgh",
    "Clackmannanshire": "Clackmannanshire and Stirling",
    "Stirling": "Clackmannanshire and Stirling",
    "Na h-Eileanan Siar": "Western Isles",
}
COUNCIL_PROVIDER: dict[str, str] = {
    "Highland": "The Highland Council",
    "Moray": "The Moray Council",
    "Na h-Eileanan Siar": "Comhairle nan Eilean Siar",
}
COUNCIL_DOMAIN: dict[str, str] = {"Na h-Eileanan Siar": "cne-siar.gov.uk"}


@dataclass(frozen=True)
class Towns:
    """Every town, flattened, with the index range of each council's towns."""

    council: np.ndarray  # council index per town
    name: list[str]
    districts: list[list[str]]
    dialling: list[str]
    board: list[str | None]
    weight: np.ndarray
    datazone_start: np.ndarray  # first datazone offset of the town's share of its council's block
    datazone_count: np.ndarray


@dataclass(frozen=True)
class Geography:
    """Where services can be: the councils, their towns and datazones, and what each council implies."""

    councils: list[str]  # the dictionary's order, outside Scotland last
    towns: Towns
    simd_rank: np.ndarray  # per datazone offset (0..6975)
    main_board: list[str | None]
    integration_authority: list[str | None]
    provider_name: list[str]  # the council as a provider of services
    domain: list[str]  # e-mail domain of the council (NHS board for health boards is nhs.scot)


def _integration_authority(council: str) -> str:
    return INTEGRATION_AUTHORITY.get(council, council.replace(" & ", " and "))


@cache
def geography() -> Geography:
    """The one geography every simulation shares, built once from the dictionary and a fixed seed."""
    dictionary = load_dictionary()
    councils = dictionary.council_areas
    main_board = dictionary.reference["council_main_health_board"]
    rng = np.random.default_rng(GEOGRAPHY_SEED)
    scores = np.concatenate([rng.normal(DEPRIVATION.get(c, 0.0), 1.0, DATAZONES[c]) for c in councils[:-1]])
    simd_rank = np.empty(SIMD_ZONES, dtype=np.int64)
    simd_rank[np.argsort(scores, kind="stable")] = np.arange(1, SIMD_ZONES + 1)

    council_idx, names, districts, dialling, boards, weights, dz_start, dz_count = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    block = 0
    for index, council in enumerate(councils):
        entries = [entry.split(":") for entry in TOWNS[council].split(";")]
        w = np.array([float(e[3]) for e in entries])
        zones = DATAZONES.get(council, 0)
        # Split the council's datazone block among its towns in proportion to their weights.
        edges = np.floor(np.concatenate([[0], np.cumsum(w)]) / w.sum() * zones).astype(int)
        for k, entry in enumerate(entries):
            council_idx.append(index)
            names.append(entry[0])
            districts.append(entry[1].split())
            dialling.append(entry[2])
            boards.append(entry[4] if len(entry) > 4 else None)
            weights.append(w[k])
            dz_start.append(block + edges[k])
            dz_count.append(max(edges[k + 1] - edges[k], 1) if zones else 0)
        block += zones
    if block != SIMD_ZONES:
        raise ValueError(f"datazone blocks add up to {block}, not {SIMD_ZONES}")
    towns = Towns(
        np.array(council_idx),
        names,
        districts,
        dialling,
        boards,
        np.array(weights),
        np.array(dz_start),
        np.array(dz_count),
    )
    return Geography(
        councils=councils,
        towns=towns,
        simd_rank=simd_rank,
        main_board=[main_board.get(c) for c in councils],
        integration_authority=[
            None if c == OUTSIDE_SCOTLAND else _integration_authority(c) for c in councils
        ],
        provider_name=[COUNCIL_PROVIDER.get(c, c.replace(" & ", " and ") + " Council") for c in councils],
        domain=[
            COUNCIL_DOMAIN.get(
                c, c.casefold().replace("&", "and").replace(" ", "").replace("-", "") + ".gov.uk"
            )
            for c in councils
        ],
    )

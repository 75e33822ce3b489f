import { normaliseName } from './normalise.ts';

/**
 * Word lists behind the name heuristic, English and German. They are deliberately small and
 * newsroom-oriented (countries, capitals, large cities, offshore jurisdictions); a tenant that
 * needs more swaps the heuristic for a model. Ambiguous names that are mostly first names
 * (Chad, Jordan, Victoria) are left out on purpose; places that are also given names and mostly
 * places in the news (Paris, Georgia, Florence) are in, and a following surname makes them a
 * person again ("Paris Hilton", see `FIRST_NAMES`). All entries are stored normalised.
 */
const set = (words: string): ReadonlySet<string> =>
  new Set(
    words
      .split('|')
      .map((w) => normaliseName(w))
      .filter((w) => w !== ''),
  );

export const PLACES = set(
  // countries (English | German)
  'Afghanistan|Albania|Albanien|Algeria|Algerien|Argentina|Argentinien|Armenia|Armenien|Australia|Australien|Austria|Österreich|' +
    'Azerbaijan|Aserbaidschan|Bahamas|Bahrain|Bangladesch|Bangladesh|Belarus|Belgium|Belgien|Belize|Bermuda|Bolivia|Bolivien|' +
    'Bosnia|Bosnien|Brazil|Brasilien|Bulgaria|Bulgarien|Cambodia|Kambodscha|Cameroon|Kamerun|Canada|Kanada|Chile|China|Colombia|Kolumbien|' +
    'Croatia|Kroatien|Cuba|Kuba|Cyprus|Zypern|Czechia|Czech Republic|Tschechien|Denmark|Dänemark|Ecuador|Egypt|Ägypten|Estonia|Estland|' +
    'Ethiopia|Äthiopien|Finland|Finnland|France|Frankreich|Georgien|Germany|Deutschland|Ghana|Greece|Griechenland|Hungary|Ungarn|' +
    'Iceland|India|Indien|Indonesia|Indonesien|Iran|Iraq|Irak|Ireland|Irland|Israel|Italy|Italien|Japan|Jordanien|Kazakhstan|' +
    'Kasachstan|Kenya|Kenia|Kosovo|Kuwait|Latvia|Lettland|Lebanon|Libanon|Libya|Libyen|Liechtenstein|Lithuania|Litauen|Luxembourg|' +
    'Luxemburg|Malaysia|Malta|Mexico|Mexiko|Moldova|Moldau|Monaco|Mongolia|Mongolei|Montenegro|Morocco|Marokko|Netherlands|Niederlande|' +
    'New Zealand|Neuseeland|Nigeria|North Korea|Nordkorea|North Macedonia|Nordmazedonien|Norway|Norwegen|Pakistan|Panama|Peru|' +
    'Philippines|Philippinen|Poland|Polen|Portugal|Qatar|Katar|Romania|Rumänien|Russia|Russland|Saudi Arabia|Saudi-Arabien|Serbia|' +
    'Serbien|Seychelles|Seychellen|Singapore|Singapur|Slovakia|Slowakei|Slovenia|Slowenien|South Africa|Südafrika|South Korea|' +
    'Südkorea|Spain|Spanien|Sri Lanka|Sudan|Sweden|Schweden|Switzerland|Schweiz|Syria|Syrien|Taiwan|Thailand|Tunisia|Tunesien|' +
    'Turkey|Türkei|Türkiye|Ukraine|United Arab Emirates|Vereinigte Arabische Emirate|United Kingdom|Vereinigtes Königreich|' +
    'Great Britain|Großbritannien|Britain|England|Scotland|Schottland|Wales|Northern Ireland|Nordirland|United States|' +
    'United States of America|Vereinigte Staaten|USA|UK|UAE|Venezuela|Vietnam|Yemen|Jemen|Zimbabwe|Simbabwe|' +
    // offshore and special jurisdictions
    'Cayman Islands|Kaimaninseln|British Virgin Islands|Britische Jungferninseln|Jersey|Guernsey|Isle of Man|Gibraltar|Delaware|' +
    'Nevada|Hong Kong|Hongkong|Macau|Macao|Dubai|Abu Dhabi|Curaçao|Aruba|Barbados|Mauritius|Samoa|Vanuatu|Marshall Islands|Anguilla|' +
    'Tortola|Zug|Labuan|Nevis|St Kitts|Turks and Caicos|Andorra|San Marino|Madeira|Campione|Larnaca|Paphos|Sliema|Schaan|' +
    'Marbella|Antibes|Cannes|Nice|Monte Carlo|Gstaad|St Moritz|Kitzbühel|Montreux|Sochi|Ibiza|Mallorca|Sardinia|Sardinien|' +
    // ambiguous with first names; "Florence Adebayo" stays a person (see FIRST_NAMES)
    'Florence|Florenz|Georgia|' +
    // regions
    'Europe|Europa|Asia|Asien|Africa|Afrika|Middle East|Nahost|Naher Osten|Latin America|Lateinamerika|Balkan|Bavaria|Bayern|' +
    'Hessen|Sachsen|Saxony|Thüringen|Brandenburg|Niedersachsen|Nordrhein-Westfalen|Baden-Württemberg|Tirol|Tyrol|Kalifornien|California|' +
    'Texas|Florida|New Jersey|Crimea|Krim|Donbas|Gaza|Westjordanland|West Bank|Kaschmir|Kashmir|Catalonia|Katalonien|' +
    // capitals and large cities
    'Berlin|Hamburg|München|Munich|Köln|Cologne|Frankfurt|Frankfurt am Main|Stuttgart|Düsseldorf|Dortmund|Essen|Leipzig|Bremen|' +
    'Dresden|Hannover|Hanover|Nürnberg|Nuremberg|Bonn|Mannheim|Karlsruhe|Wiesbaden|Mainz|Potsdam|Kiel|Magdeburg|Erfurt|Schwerin|' +
    'Saarbrücken|Bochum|Duisburg|Wuppertal|Bielefeld|Münster|Augsburg|Aachen|Freiburg|Heidelberg|Regensburg|Würzburg|Ulm|' +
    'Rostock|Lübeck|Oldenburg|Osnabrück|Kassel|Halle|Chemnitz|Jena|Ingolstadt|Wolfsburg|Braunschweig|Göttingen|Trier|Koblenz|' +
    'Darmstadt|Offenbach|Bad Homburg|Baden-Baden|Wien|Vienna|Graz|Salzburg|Linz|Innsbruck|Zürich|Zurich|Genf|Geneva|Genève|Basel|Bern|Lausanne|Lugano|Vaduz|' +
    'Paris|Lyon|Marseille|London|Manchester|Birmingham|Edinburgh|Glasgow|Dublin|Brussels|Brüssel|Bruxelles|Antwerp|Antwerpen|' +
    'Amsterdam|Rotterdam|The Hague|Den Haag|Luxembourg City|Copenhagen|Kopenhagen|Stockholm|Oslo|Helsinki|Reykjavik|Tallinn|Riga|' +
    'Vilnius|Warsaw|Warschau|Krakow|Krakau|Prague|Prag|Bratislava|Budapest|Bucharest|Bukarest|Sofia|Belgrade|Belgrad|Zagreb|' +
    'Ljubljana|Sarajevo|Podgorica|Tirana|Skopje|Athens|Athen|Rome|Rom|Milan|Mailand|Naples|Neapel|Turin|Madrid|Barcelona|Lisbon|' +
    'Lissabon|Porto|Valletta|Nicosia|Nikosia|Limassol|Istanbul|Ankara|Kyiv|Kiew|Kiev|Moscow|Moskau|St Petersburg|Sankt Petersburg|' +
    'Minsk|Chisinau|Tbilisi|Tiflis|Yerevan|Eriwan|Baku|Astana|Tashkent|Taschkent|Tehran|Teheran|Baghdad|Bagdad|Damascus|Damaskus|' +
    'Beirut|Jerusalem|Tel Aviv|Amman|Cairo|Kairo|Riyadh|Riad|Doha|Kabul|Islamabad|Karachi|New Delhi|Neu-Delhi|Delhi|Mumbai|' +
    'Bangalore|Beijing|Peking|Shanghai|Shenzhen|Tokyo|Tokio|Osaka|Seoul|Pyongyang|Taipei|Bangkok|Hanoi|Jakarta|Kuala Lumpur|Manila|' +
    'Sydney|Melbourne|Canberra|Wellington|Auckland|Washington|Washington DC|New York|New York City|Los Angeles|San Francisco|' +
    'Chicago|Boston|Miami|Seattle|Houston|Dallas|Atlanta|Toronto|Montreal|Vancouver|Ottawa|Mexico City|Mexiko-Stadt|Bogotá|Bogota|' +
    'Lima|Caracas|Buenos Aires|Santiago|São Paulo|Sao Paulo|Rio de Janeiro|Brasília|Brasilia|Panama City|Havana|Havanna|Lagos|' +
    'Nairobi|Johannesburg|Cape Town|Kapstadt|Pretoria|Addis Ababa|Addis Abeba|Accra|Dakar|Casablanca|Rabat|Tunis|Algiers|Algier|' +
    'Tripoli|Tripolis|Khartoum|Khartum|Kinshasa|Luanda|Harare|Road Town|George Town|Nassau|St Helier|St Peter Port',
);

/** Honorifics, dropped from a person's name but proof that a name follows. */
export const TITLES = set('Dr|Prof|Professor|Mr|Mrs|Ms|Mx|Miss|Sir|Dame|Lord|Lady|Herr|Frau|Hr|Fr|Mme|Mlle|Monsieur|Madame');

/** Roles that stand before names ("Staatsanwalt Klaus Meier", "CEO Jane Doe"); treated like titles. */
export const ROLES = set(
  'CEO|CFO|COO|Executive|Vice|Deputy|Senior|Chairman|Chairwoman|Chair|Chief|President|Präsident|Präsidentin|Vice President|Chancellor|Kanzler|Kanzlerin|' +
    'Minister|Ministerin|Secretary|Senator|Senatorin|Governor|Gouverneur|Mayor|Bürgermeister|Bürgermeisterin|Director|Direktor|' +
    'Direktorin|Geschäftsführer|Geschäftsführerin|Vorstand|Vorstandschef|Vorstandschefin|Vorsitzende|Vorsitzender|Aufsichtsratschef|' +
    'Chef|Chefin|Gründer|Gründerin|Founder|Staatsanwalt|Staatsanwältin|Oberstaatsanwalt|Prosecutor|Attorney|Anwalt|Anwältin|' +
    'Rechtsanwalt|Rechtsanwältin|Lawyer|Judge|Richter|Richterin|Sprecher|Sprecherin|Spokesman|Spokeswoman|Spokesperson|' +
    'Abgeordnete|Abgeordneter|MP|Journalist|Journalistin|Reporter|Reporterin|Investor|Investorin|Unternehmer|Unternehmerin|' +
    'Banker|Bankerin|Manager|Managerin|Berater|Beraterin|Lobbyist|Lobbyistin|Politiker|Politikerin|General|Colonel|Oberst|' +
    'Commissioner|Kommissar|Kommissarin|Ambassador|Botschafter|Botschafterin|Inspector|Detective|Officer|Agent|Pope|Papst|King|' +
    'König|Königin|Queen|Prince|Prinz|Prinzessin|Princess|Sheikh|Scheich|Oligarch|Oligarchin|Milliardär|Milliardärin|Billionaire',
);

/** Capitalised words that start sentences or precede names but are never part of one. */
export const STOPWORDS = set(
  'The|A|An|In|On|At|By|For|From|With|Without|Into|Of|To|This|That|These|Those|His|Her|Hers|Their|Our|Its|My|Your|And|But|Or|Nor|' +
    'If|When|While|After|Before|During|Since|Until|Although|Because|As|According|However|Meanwhile|Despite|Also|Yet|Still|Then|' +
    'Yesterday|Today|Tomorrow|Tonight|Last|Next|It|He|She|They|We|I|You|There|Here|Both|Each|Every|All|Some|Many|Most|Several|' +
    'No|Not|None|One|Two|Three|Four|Five|Ten|First|Second|Third|Former|Ex|New|Old|Dear|Hello|Hi|Re|Fwd|Subject|Betreff|' +
    'Der|Die|Das|Den|Dem|Des|Ein|Eine|Einer|Eines|Einem|Einen|Im|Am|Vom|Zum|Zur|Beim|Ins|Ans|Auch|Aber|Und|Oder|Wenn|Als|Nach|' +
    'Laut|Seit|Bei|Mit|Von|Vor|Für|Gegen|Ohne|Durch|Um|Aus|Zu|An|Auf|Über|Unter|Neben|Zwischen|Während|Trotz|Wegen|Er|Sie|Es|' +
    'Wir|Ich|Ihr|Ihre|Sein|Seine|Dies|Diese|Dieser|Dieses|Damit|Dabei|Doch|Denn|Da|So|Zudem|Außerdem|Bereits|Noch|Nur|Wie|Was|' +
    'Wer|Wo|Warum|Gestern|Heute|Morgen|Nun|Jetzt|Dann|Demnach|Derzeit|Insgesamt|Allerdings|Jedoch|Firma|Unternehmen|Konzern|' +
    'Company|Herrn|Hallo|Hello|Liebe|Lieber|Sehr|Geehrte|Geehrter|Thanks|Thank|Danke|Gruß|Grüße|Regards|Best|Kind|Cheers|' +
    'From|To|Cc|Von|An|Subject|Please|Bitte|Shares|Staff|Officials|Prosecutors|Investigators|Payments|Filed|Form|' +
    'January|February|April|June|July|September|October|November|December|Januar|Februar|März|Mai|Juni|Juli|' +
    'Oktober|Dezember|Feb|Apr|Jun|Jul|Sep|Sept|Oct|Okt|Nov|Dec|Dez|Monday|Tuesday|Wednesday|Thursday|Friday|' +
    'Saturday|Sunday|Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag',
);

/** Legal-form suffixes: a capitalised run ending in one is an organisation ("S.à r.l." is "S.à" + "r.l."). */
export const ORG_SUFFIXES = set(
  'GmbH|gGmbH|mbH|AG|SE|KG|KGaA|OHG|GbR|UG|e.V.|eV|Ltd|Ltd.|Limited|Inc|Inc.|Incorporated|LLC|L.L.C.|LLP|LP|plc|PLC|SA|S.A.|' +
    'SAS|S.A.S.|SARL|NV|N.V.|BV|B.V.|AB|ASA|Oy|Oyj|SpA|S.p.A.|Srl|S.r.l.|Co.|Corp|Corp.|Corporation|Pty|Pte|AS|SL|S.L.|Sàrl|r.l.',
);
/** Suffixes written in lower case that still close a name ("HSBC Holdings plc"); "limited partnership" is prose. */
export const LOWERCASE_SUFFIXES = set('gGmbH|mbH|e.V.|eV|plc|r.l.');

/**
 * Words that make a run an organisation when they end it ("Nordwind Shipping", "Orion
 * Logistics"), but not when they start it ("Marine Le Pen", "Lane Advisory" vs "Georgia Lane").
 */
export const ORG_TAIL_WORDS = set(
  'Shipping|Logistics|Logistik|Trading|Freight|Maritime|Marine|Lines|Carriers|Shipyard|Ventures|Advisory|Advisors|Investments|' +
    'Invest|Realty|Properties|Estates|Enterprises|Resources|Mining|Commodities|Securities|Finance|Financial|Nominees|Worldwide|' +
    'International|Media|Oil|Gas|Petroleum|Chemicals|Steel|Metals|Foods|Hotels|Railways|Construction|Agro|Telecom|Rechtsanwälte|' +
    'Bau|Immobilien|Handel|Treuhand|Beteiligungen|Verwaltung|Verwaltungs|Werft|Transport|Transporte|Spedition|Brothers',
);

/**
 * Organisations a newsroom meets every day whose names carry no legal form or keyword: agencies,
 * regulators, large banks and companies, news media. Matched as whole words, case as written
 * for acronyms. Common nouns that are also names ("Apple", "Alphabet", "Spiegel" alone) are left out.
 */
export const KNOWN_ORGANISATIONS: readonly string[] = (
  'Interpol|Europol|Eurojust|OLAF|FBI|CIA|NSA|SEC|FCA|OFAC|FinCEN|BaFin|FINMA|IMF|IWF|NATO|OECD|FATF|ECB|EZB|BKA|LKA|BND|' +
  'HSBC|UBS|ING|BNP Paribas|Barclays|Santander|Citigroup|Citibank|JPMorgan|JP Morgan|Morgan Stanley|Goldman Sachs|Credit Suisse|' +
  'Commerzbank|Raiffeisen|Danske Bank|Nordea|Swedbank|SEB|Julius Bär|Société Générale|Wirecard|Gazprom|Rosneft|Lukoil|' +
  'Novatek|Sberbank|VTB|Glencore|Trafigura|Vitol|Siemens|Volkswagen|Daimler|Bosch|Maersk|Deloitte|KPMG|PwC|EY|McKinsey|' +
  'Reuters|Bloomberg|AFP|dpa|Der Spiegel|Die Zeit|Le Monde|Al Jazeera|The Guardian|Financial Times|New York Times|' +
  'Süddeutsche Zeitung|OCCRP|ICIJ|Check24|Google|Microsoft|Amazon|Facebook|Gazprombank|Aeroflot|Huawei|Alibaba|Tencent'
).split('|');

/** Street words: "14 Harbour Road" is an address, not a person. */
export const STREET_WORDS = set(
  'Road|Street|Avenue|Boulevard|Drive|Square|Straße|Strasse|Str|Weg|Platz|Allee|Gasse|Ring|Damm|Ufer|Quay|Wharf',
);

/**
 * Common given names (English, German, and frequent international ones), for cases the shape
 * alone cannot decide: a gazetteer place that starts a name ("Paris Hilton", "Florence
 * Adebayo"), a first name alone after a greeting ("Thanks Peter"). Not a census: a name not
 * listed only loses those two rules.
 */
export const FIRST_NAMES = set(
  'Paris|Florence|Georgia|Sydney|Austin|Jordan|Victoria|Chelsea|Brooklyn|Dallas|Houston|Phoenix|Madison|Charlotte|Adelaide|' +
    'Regina|Sofia|Lincoln|Vienna|Savannah|Aurora|Denver|Orlando|Eugene|Florian|' +
    'Peter|Paul|John|James|Michael|David|Thomas|Daniel|Mark|Anna|Maria|Julia|Laura|Sarah|Emma|Tom|Tim|Jan|Jonas|Lukas|Max|' +
    'Stefan|Andreas|Martin|Markus|Michael|Christian|Alexander|Sebastian|Katrin|Sabine|Petra|Claudia|Susanne|Karin|Helen|Elena|' +
    'Ivan|Igor|Olga|Natalia|Marco|Luca|Giulia|Pierre|Marie|Jean|Carlos|Juan|Pablo|Ahmed|Mohamed|Ali|Omar|Fatima|Priya|Raj|Wei|Li',
);

/** Words that make a run of two or more capitalised words an organisation, first or last. */
export const ORG_KEYWORDS = set(
  'Bank|Banco|Banque|Sparkasse|Volksbank|Ministry|Ministerium|Bundesministerium|Department|Agency|Agentur|Authority|Behörde|' +
    'Bundesamt|Landesamt|Commission|Kommission|Council|Court|Gericht|Landgericht|Amtsgericht|Oberlandesgericht|Police|Polizei|' +
    'Staatsanwaltschaft|University|Universität|Hochschule|Institute|Institut|Foundation|Stiftung|Association|Verband|Verein|Party|' +
    'Partei|Group|Gruppe|Holding|Holdings|Capital|Partners|Trust|Fund|Fonds|Parliament|Parlament|Senate|Senat|Reserve|Office|' +
    'Kanzlei|Consulting|Verlag|Airlines|Airways|Motors|Energy|Pharma|Technologies|Systems|Solutions|Services|Industries|' +
    'Insurance|Versicherung|Versicherungen|Reederei|Bundesbank|Zentralbank|Newspaper|Zeitung|Broadcasting|Rundfunk|Deutsche|' +
    'Staatsanwaltschaft|Generalstaatsanwaltschaft|Bureau|Directorate|Tribunal|Stiftung|Kanzleramt|Bundeskanzleramt',
);

/** Lowercase words that may sit inside a person's name ("Ursula von der Leyen"). */
export const NAME_PARTICLES = new Set([
  'von',
  'van',
  'de',
  'da',
  'di',
  'du',
  'del',
  'della',
  'dos',
  'la',
  'le',
  'zu',
  'ten',
  'ter',
  'bin',
  'al',
]);
/** "der"/"den" only as the second word of a particle ("von der", "van den"). */
export const SECOND_PARTICLES = new Set(['der', 'den']);
/** Lowercase words that link an organisation keyword to the rest ("Bank of England", "Ministerium der Finanzen"). */
export const ORG_LINKS = new Set(['of', 'for', 'für', 'der', 'des', 'de', 'du', 'zu']);

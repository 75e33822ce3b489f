/**
 * Function words of English, German, French and Spanish (the corpus mixes languages): a query's
 * bare words among these do not count as terms when it has others, so "how to train a puppy" asks
 * for "train" and "puppy", and a passage holding only "how", "to" and "a" neither matches more
 * of the query than one about puppies nor looks like a strong match. Phrases keep every word, and
 * a query of function words only ("to be or not to be") keeps them all. Words that are also
 * content words in another of these languages ("war", "die", "gift", "also") are left out.
 */
export const STOPWORDS: ReadonlySet<string> = new Set(
  [
    // English
    'a an the and or but nor of to in on at by for from with without into onto over under about as is are was were be been being',
    'it its this that these those there here who whom whose what which when where why how not no so than then too very',
    'can could will would shall should may might must do does did has have had i me my we our you your he him his she her',
    'they them their all any some each every up out just more most other such only own same',
    // German
    'der das den dem des ein eine einer eines einem einen und oder aber nicht ist sind wurde wurden sein hat haben im ins vom zum zur',
    'mit von bei aus nach für über unter auf an als wie wer wo warum dass ob auch noch nur schon sehr ich du er sie es wir ihr',
    // French
    'le la les un une des du de et ou mais ne pas est sont été être avoir au aux dans sur sous pour par avec sans qui que quoi',
    'dont où ce cet cette ces son sa ses leur leurs il elle ils elles nous vous je tu en y',
    // Spanish
    'el los las unos unas del al y o pero no es son fue ser estar con sin por para sobre entre que quien cuando donde como',
    'este esta estos estas ese esa su sus lo se',
  ]
    .join(' ')
    .split(' '),
);

// What a terminal does not show, or what moves, re-colours or re-orders text. Two sets: what amps
// takes out of everything it prints (output/text.ts scrub), and what the search for the key in a
// response sees through (contract/keys.ts), a superset of it: a key split by anything scrubbing
// removes is whole again on screen, and one split by a mark scrubbing keeps is found all the same.

/**
 * Taken out of what amps prints: control characters (not tab or newline), direction overrides and
 * isolates (text re-ordered to spoof), the zero-width space, word joiner and invisible operators,
 * BOM and soft hyphen. Not the joiners and direction marks scripts and emoji need (U+200C-U+200F).
 * A character class's body.
 */
export const SCRUBBED_CHARACTERS = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u00ad\\u200b\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff';

/**
 * What the key search sees through: the scrubbed set, and what scripts and emoji need, so is never
 * scrubbed, but a terminal draws as nothing or as a blank: the joiners and direction marks, the
 * grapheme joiner, the variation selectors, the Hangul fillers.
 */
export const INVISIBLE_CHARACTERS = `${SCRUBBED_CHARACTERS}\\u034f\\u115f\\u1160\\u200c-\\u200f\\u3164\\ufe00-\\ufe0f\\uffa0`;

/** A tag character (U+E0000-U+E007F, drawn as nothing): beyond U+FFFF, so two UTF-16 units, outside any character class. Seen through too. */
export const TAG_CHARACTER = String.raw`\uDB40[\uDC00-\uDC7F]`;

/** A terminal escape sequence: CSI (`ESC [ … m`), OSC (`ESC ] … BEL` or `ESC \`), or ESC and one character. */
export const ESCAPE_SEQUENCE = String.raw`\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])`;

/**
 * The same, as JSON text escapes them (`\u0007`, `\u001b[1m`, `\u202e`), less the backslash that
 * starts the escape. A sequence's bytes never take a quote or a backslash, but for the ST that ends
 * an OSC (`\u001b\\`), so one cut short never runs past its string's end.
 */
export const JSON_ESCAPED_SCRUBBED = String.raw`(?:u(?:000[0-8]|000[bBcCdDeEfF]|001[0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|00[aA][dD]|200[bB]|202[a-eA-E]|206[0-46-9]|[fF][eE][fF][fF])(?:(?<=u001[bB])(?:\[[0-?]*[ !#-/]*[@-\[\]-~]|\][^"\\]*(?:\\u0007|\\u001[bB]\\\\)?|[@-Z^_]))?)`;

/**
 * What the key search sees through in JSON text, as INVISIBLE_CHARACTERS and TAG_CHARACTER are to
 * SCRUBBED_CHARACTERS: the escapes above, those of the marks INVISIBLE_CHARACTERS adds, a tag
 * character's pair (`\udb40\udc41`), and `\b`, `\f`, `\r` (less the backslash, as above).
 */
export const JSON_ESCAPED_INVISIBLE = String.raw`(?:[bfr]|u(?:200[c-fC-F]|034[fF]|115[fF]|1160|3164|[fF][eE]0[0-9a-fA-F]|[fF][fF][aA]0|[dD][bB]40\\u[dD][cC][0-7][0-9a-fA-F])|${JSON_ESCAPED_SCRUBBED})`;

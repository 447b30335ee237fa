// What a terminal does not show, or what moves, re-colours or re-orders text: one definition for
// the scrubbing of what amps prints (output/text.ts) and for the search of the key in a response,
// which must see through whatever the scrubbing will take out (contract/keys.ts): a key split by
// one of these is whole again on screen.

/** Control characters (not tab or newline), bidi and zero-width marks, the soft hyphen, the BOM: a character class's body. */
export const INVISIBLE_CHARACTERS = '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufeff';

/** A terminal escape sequence: CSI (`ESC [ … m`), OSC (`ESC ] … BEL`), or ESC and one character. */
export const ESCAPE_SEQUENCE = String.raw`\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])`;

/**
 * The same, as JSON text escapes them (`\u0007`, `\r`, `\u001b[1m`, `\u202e`), less the backslash
 * that starts the escape. A CSI's bytes never take a quote or a backslash, so one cut short never
 * runs past its string's end.
 */
export const JSON_ESCAPED_INVISIBLE = String.raw`(?:[bfr]|[uU](?:000[0-8]|000[bBcCdDeEfF]|001[0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|00[aA][dD]|034[fF]|200[b-fB-F]|202[a-eA-E]|206[0-9]|[fF][eE][fF][fF])(?:(?<=[uU]001[bB])(?:\[[0-?]*[ !#-/]*[@-\[\]-~]|\][^"\\]*(?:\\+u0007)?))?)`;

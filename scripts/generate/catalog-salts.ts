// Salts for the hashes that derive a song or an artist from its id: hash3(seed, id, SALT_…) and the like.
// They live in one list because two uses sharing a salt would no longer be independent (a song's title
// shape would follow its artist's name pattern, say), and that is easy to miss across files.
export const SALT_ARTIST = 1;
export const SALT_ACCENT = 2;
export const SALT_TITLE = 3;
export const SALT_WORDS = 4;
export const SALT_LENGTH = 5;
export const SALT_OFFSET = 6;
export const SALT_EXTRA = 7;

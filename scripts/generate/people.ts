// Listeners for synthetic logs: names, gender, level, location and registration time, drawn from small
// invented word lists (never from the real logs). Includes apostrophes, hyphens and non-ASCII letters, and
// locations with commas, so loaders see the same quoting and encoding problems the real exports have.
import { USER_ID_BASE } from './ids';
import type { Rng } from './random';

export type Gender = 'M' | 'F';
export type Level = 'free' | 'paid';

export interface Listener {
  /** USER_ID_BASE + 1, + 2, …; eventsim writes it as a string. */
  userId: string;
  firstName: string;
  lastName: string;
  gender: Gender;
  /** Changes when the listener submits an upgrade or downgrade. */
  level: Level;
  location: string;
  /** Milliseconds since the epoch, before the log starts. */
  registration: number;
  /** Relative appetite for listening; mean about 1. Heavy users make the per-user counts skewed. */
  activity: number;
}

const FEMALE = [
  'Ava',
  'Chloé',
  'Zoë',
  'Renée',
  'Inés',
  'Sofía',
  'Ágnes',
  'Maren',
  'Lucía',
  'Hannah',
  'Priya',
  'Keiko',
  'Olivia',
  'Nadia',
  'Freya',
  'Imogen',
  'Beatriz',
  'Siobhán',
  'Mila',
  'Tessa',
  'Yara',
  'Elif',
  'Rosa',
  'Wren',
];
const MALE = [
  'Liam',
  'Björn',
  'José',
  'André',
  'Jürgen',
  'Søren',
  'Łukasz',
  'François',
  'Mateo',
  'Kenji',
  'Omar',
  'Rafael',
  'Tobias',
  'Declan',
  'Arjun',
  'Felix',
  'Niko',
  'Emeka',
  'Hugo',
  'Caspian',
  'Dmitri',
  'Jonah',
  'Ezra',
  'Silas',
];
const LAST = [
  'Okafor',
  "O'Brien",
  "D'Angelo",
  'Smith-Jones',
  'Müller',
  'Núñez',
  'Åberg',
  'Østergaard',
  'Gonçalves',
  'Nakamura',
  'Lindqvist',
  'Hartley',
  'Castellano',
  'Whitfield',
  'Brennan',
  'Kowalczyk',
  'Fairbanks',
  'Delacroix',
  'Mbeki',
  'Ramírez',
  'Van der Berg',
  'Halvorsen',
  'Tremblay',
  'Ashdown',
  'Quintero',
  'Sørensen',
  'Novák',
  'Pemberton',
];
const PLACES = [
  'Maple Grove',
  'Cedar Ridge',
  'Fairhaven',
  'Lakeside',
  'Brookfield',
  'Riverton',
  'Oakdale',
  'Pinecrest',
  'Stonebridge',
  'Millbrook',
  'Westport',
  'Eastwood',
  'Silver Lake',
  'Granite Falls',
  'Redwood Valley',
  'Harbor City',
  'Ashford',
  'Willow Creek',
  'Bellmont',
  'Clearwater Bay',
  'Cañon Vista',
  'Española Heights',
  "Coeur d'Isle",
  'Port Sorrel',
  'Highcliff',
  'Thornbury',
];
const STATES = [
  'CA',
  'AZ',
  'TX',
  'NY',
  'WA',
  'OR',
  'IL',
  'GA',
  'FL',
  'MI',
  'ME',
  'CO',
  'NC',
  'PA',
  'OH',
  'MN',
];

const DAY_MS = 86_400_000;

function at(items: readonly string[], index: number): string {
  const item = items[index % items.length];
  if (item === undefined) throw new Error('index into an empty list');
  return item;
}

/** "City, ST", "City-City, ST" or a metro spanning states, "City-City-City, ST-ST-ST". */
function location(rng: Rng): string {
  const shape = rng.next();
  const first = rng.pick(PLACES);
  if (shape < 0.3) return `${first}, ${rng.pick(STATES)}`;
  // Offsets below PLACES.length keep the places of one metro area different from each other.
  const index = PLACES.indexOf(first);
  const second = at(PLACES, index + 1 + rng.int(PLACES.length / 2));
  if (shape < 0.85) return `${first}-${second}, ${rng.pick(STATES)}`;
  const third = at(PLACES, index + 1 + PLACES.length / 2 + rng.int(PLACES.length / 2 - 1));
  return `${first}-${second}-${third}, ${rng.pick(STATES)}-${rng.pick(STATES)}-${rng.pick(STATES)}`;
}

export function makeListeners(rng: Rng, count: number, start: number): Listener[] {
  const listeners: Listener[] = [];
  for (let i = 0; i < count; i++) {
    const gender: Gender = rng.chance(0.55) ? 'F' : 'M';
    listeners.push({
      userId: String(USER_ID_BASE + i + 1),
      firstName: rng.pick(gender === 'F' ? FEMALE : MALE),
      lastName: rng.pick(LAST),
      gender,
      level: rng.chance(0.6) ? 'paid' : 'free',
      location: location(rng),
      registration: start - Math.floor((1 + rng.next() * 300) * DAY_MS),
      activity: Math.exp(0.9 * rng.normal() - 0.405),
    });
  }
  return listeners;
}

// The page model: which page a listener visits next, and what a page leads to. Weights and follow-ups
// copy the shape of the real logs: mostly NextSong, Roll Advert and Upgrade only for free listeners,
// Settings sometimes followed by Save Settings, Logout followed by logged-out browsing and often a
// Login. Sessions (when they start and end, how long a page takes) are in sessions.ts.
import type { Level } from './people';
import type { Rng } from './random';

export type Page =
  | 'NextSong'
  | 'Home'
  | 'Login'
  | 'Logout'
  | 'Settings'
  | 'Save Settings'
  | 'Upgrade'
  | 'Submit Upgrade'
  | 'Downgrade'
  | 'Submit Downgrade'
  | 'About'
  | 'Help'
  | 'Error'
  | 'Add to Playlist'
  | 'Add Friend'
  | 'Thumbs Up'
  | 'Thumbs Down'
  | 'Roll Advert';

export type Auth = 'Logged In' | 'Logged Out';
export type Method = 'GET' | 'PUT';
export type Status = 200 | 307 | 404;

const HTTP: Record<Page, { method: Method; status: Status }> = {
  NextSong: { method: 'PUT', status: 200 },
  Home: { method: 'GET', status: 200 },
  Login: { method: 'PUT', status: 307 },
  Logout: { method: 'PUT', status: 307 },
  Settings: { method: 'GET', status: 200 },
  'Save Settings': { method: 'PUT', status: 307 },
  Upgrade: { method: 'GET', status: 200 },
  'Submit Upgrade': { method: 'PUT', status: 307 },
  Downgrade: { method: 'GET', status: 200 },
  'Submit Downgrade': { method: 'PUT', status: 307 },
  About: { method: 'GET', status: 200 },
  Help: { method: 'GET', status: 200 },
  Error: { method: 'GET', status: 404 },
  'Add to Playlist': { method: 'PUT', status: 200 },
  'Add Friend': { method: 'PUT', status: 307 },
  'Thumbs Up': { method: 'PUT', status: 307 },
  'Thumbs Down': { method: 'PUT', status: 307 },
  'Roll Advert': { method: 'GET', status: 200 },
};

/** One page visit with everything fixed about it: what the event record shows besides the listener. */
export interface Step {
  page: Page;
  /** Whether the event itself is logged in. */
  loggedIn: boolean;
  auth: Auth;
  method: Method;
  status: Status;
}

/** Steps are shared constants carrying everything fixed about a page, so the hot loop looks nothing up. */
function step(page: Page, loggedIn: boolean): Step {
  const { method, status } = HTTP[page];
  return Object.freeze({ page, loggedIn, auth: loggedIn ? 'Logged In' : 'Logged Out', method, status });
}

const NEXT_SONG = step('NextSong', true);
const HOME_IN = step('Home', true);
const HOME_OUT = step('Home', false);
const LOGIN = step('Login', false);
const ABOUT_OUT = step('About', false);
const HELP_OUT = step('Help', false);
const SAVE_SETTINGS = step('Save Settings', true);
const SUBMIT_UPGRADE = step('Submit Upgrade', true);
const SUBMIT_DOWNGRADE = step('Submit Downgrade', true);

/** What a logged-in listener does next, by weight; NextSong first because it is picked most. */
function pageTable(level: Level): { weights: Float64Array; steps: Step[] } {
  const entries: [number, Page][] = [
    [86, 'NextSong'],
    [3.2, 'Home'],
    [2.2, 'Thumbs Up'],
    [1.1, 'Add to Playlist'],
    [0.7, 'Add Friend'],
    [0.5, 'Thumbs Down'],
    [0.6, 'Settings'],
    [0.45, 'Help'],
    [0.25, 'About'],
    [0.1, 'Error'],
    [1.1, 'Logout'],
  ];
  if (level === 'free') entries.push([2.5, 'Roll Advert'], [0.8, 'Upgrade']);
  else entries.push([0.6, 'Downgrade']);
  const total = entries.reduce((sum, [w]) => sum + w, 0);
  let acc = 0;
  const weights = new Float64Array(entries.length);
  const steps: Step[] = [];
  entries.forEach(([w, page], i) => {
    acc += w / total;
    weights[i] = acc;
    steps.push(page === 'NextSong' ? NEXT_SONG : step(page, true));
  });
  weights[weights.length - 1] = 1;
  return { weights, steps };
}

const FREE_PAGES = pageTable('free');
const PAID_PAGES = pageTable('paid');

/** What the page model reads and changes of a listener in a session. */
export interface BrowsingState {
  /** Changes on Submit Upgrade and Submit Downgrade. */
  level: Level;
  /** Events so far in this session (itemInSession of the next one). */
  item: number;
  loggedIn: boolean;
  /** Pages that must come next (a Login after logged-out browsing, Save Settings after Settings, …). */
  queue: Step[];
}

/** The opening of a new session: usually logged in at once, sometimes logged-out browsing first. */
export function openSession(user: BrowsingState, rng: Rng): void {
  user.queue.length = 0;
  user.loggedIn = true;
  // A few sessions begin logged out: browsing the front page, then logging in (as in the real logs).
  if (rng.chance(0.1)) {
    user.loggedIn = false;
    if (rng.chance(0.6)) {
      user.queue.push(HOME_OUT);
      if (rng.chance(0.2)) user.queue.push(rng.chance(0.6) ? ABOUT_OUT : HELP_OUT);
    }
    user.queue.push(LOGIN, HOME_IN);
  }
}

/** The page this listener visits now: a queued one if any, else one drawn from its level's weights. */
export function chooseStep(user: BrowsingState, rng: Rng): Step {
  const queued = user.queue.shift();
  if (queued !== undefined) return queued;
  if (!user.loggedIn) return LOGIN;
  if (user.item === 0) return rng.chance(0.45) ? HOME_IN : NEXT_SONG;
  const { weights, steps } = user.level === 'free' ? FREE_PAGES : PAID_PAGES;
  const u = rng.next();
  for (let i = 0; i < weights.length; i++) {
    if (u < (weights[i] ?? 1)) return steps[i] ?? NEXT_SONG;
  }
  return NEXT_SONG;
}

/** Follow-ups that the real logs show after certain pages, and the state changes pages cause. */
export function afterStep(user: BrowsingState, page: Page, rng: Rng): void {
  switch (page) {
    case 'Logout':
      user.loggedIn = false;
      user.queue.push(HOME_OUT);
      if (rng.chance(0.1)) user.queue.push(rng.chance(0.6) ? ABOUT_OUT : HELP_OUT);
      if (rng.chance(0.5)) user.queue.push(LOGIN, HOME_IN);
      break;
    case 'Login':
      user.loggedIn = true;
      break;
    case 'Settings':
      if (rng.chance(0.25)) user.queue.push(SAVE_SETTINGS);
      break;
    case 'Upgrade':
      if (rng.chance(0.3)) user.queue.push(SUBMIT_UPGRADE);
      break;
    case 'Downgrade':
      if (rng.chance(0.15)) user.queue.push(SUBMIT_DOWNGRADE);
      break;
    case 'Submit Upgrade':
      user.level = 'paid';
      break;
    case 'Submit Downgrade':
      user.level = 'free';
      break;
    default:
      break;
  }
}

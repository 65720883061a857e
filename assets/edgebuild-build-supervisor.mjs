// edgebuild-build-supervisor: runs a build so that it cannot outlive edgebuild.
//
//   node edgebuild-build-supervisor.mjs [--pty|--inner] <grace-ms> <command> [args...]
//
// edgebuild starts this as the leader of a new process group (setsid) and runs
// the build (`./earthly.sh ...`) as its child, in that group; stdin, stdout and
// stderr pass through untouched. fd 3 is the lifeline: one end of a pipe whose
// other end only edgebuild holds. The kernel closes that end however edgebuild
// ends, SIGKILL and the OOM killer included, so EOF on fd 3 means "edgebuild is
// gone": the supervisor then sends SIGTERM to the whole group and SIGKILL after
// the grace period, itself included.
//
// Why not `setpriv --pdeathsig KILL` alone: the parent-death signal reaches only
// the direct child (earthly.sh); the docker CLI, earthly and everything else it
// forked would be re-parented to init and keep building. It also fires when the
// parent *thread* that forked ends, not the process. A group kill driven by a
// pipe covers every process of the build and needs nothing beyond Node.js.
// Why fd 3 and not stdin: stdin belongs to the build (CanvOS's proxy path runs
// `docker exec -it`, which wants the terminal).
//
// Exit status: the build's, or the build's signal raised again on itself, so
// edgebuild sees what it would have seen running the build directly.
//
// --pty: the build gets a pseudo-terminal as its stdin (CanvOS's proxy path
// runs `docker exec -it`, which refuses anything else), made by util-linux
// `script`. `script` puts its child in a new session, out of this group, so
// the child is a second supervisor (--inner) leading that session: it reports
// its pid (the session's group) on fd 3, and fd 3 is its lifeline to this one.
// This one forwards SIGTERM to that group, stops it when the build ends or
// edgebuild dies, and if this one is SIGKILLed its end of the inner lifeline
// closes, so the inner supervisor stops the session itself: the build is
// held exactly as strongly as without a pty. What the terminal adds to the
// output (\r\n, colour and cursor sequences) is removed before it reaches
// edgebuild's log (edgebuild-terminal-text.mjs).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TerminalText } from './edgebuild-terminal-text.mjs';

const argv = process.argv.slice(2);
const mode = argv[0] === '--pty' || argv[0] === '--inner' ? argv.shift() : undefined;
const [graceArg, command, ...args] = argv;
const graceMs = Number(graceArg);
if (!command || !Number.isFinite(graceMs)) {
  process.stderr.write('usage: edgebuild-build-supervisor.mjs [--pty|--inner] <grace-ms> <command> [args...]\n');
  process.exit(2);
}

function signalGroup(signal, pgid = process.pid) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // nobody left
  }
}

/** The pty session's group (--pty): the inner supervisor's pid, once it has said it. */
let session;
let sessionTerm = false;
const signalSession = (signal) => session !== undefined && signalGroup(signal, session);

// A group-wide SIGTERM (edgebuild stopping the build) reaches this process too:
// it waits for the build to end and reports how it ended instead of dying first.
const ignore = () => undefined;
const onTerm = () => {
  // The pty session is out of our group: the signal is passed on.
  sessionTerm = true;
  signalSession('SIGTERM');
};
process.on('SIGTERM', onTerm);

let orphaned = false;
function edgebuildGone() {
  if (orphaned) return;
  orphaned = true;
  signalSession('SIGTERM');
  signalGroup('SIGTERM');
  // Ends this process too; until then it stays, to kill what ignores SIGTERM.
  setTimeout(() => {
    signalSession('SIGKILL');
    signalGroup('SIGKILL');
  }, graceMs);
}

const lifeline = new Socket({ fd: 3, readable: true, writable: mode === '--inner' });
lifeline.on('data', ignore);
lifeline.on('end', edgebuildGone);
lifeline.on('error', edgebuildGone);
if (mode === '--inner') {
  lifeline.write(`${process.pid}\n`);
  // The terminal hung up: `script` and the outer supervisor are gone (SIGKILLed). Stop the session
  // as when edgebuild dies, instead of dying of SIGHUP and leaving it.
  process.on('SIGHUP', edgebuildGone);
}

/** A word for `sh -c`, single-quoted. */
const shellWord = (word) => `'${String(word).replace(/'/g, `'\\''`)}'`;

function spawnBuild() {
  if (mode !== '--pty') return spawn(command, args, { stdio: 'inherit' });
  // script runs `$SHELL -c <command>`: /bin/sh for it, the caller's SHELL restored for the build.
  const shell = process.env.SHELL === undefined ? 'unset SHELL; ' : `SHELL=${shellWord(process.env.SHELL)} `;
  const inner = `${shell}exec ${[process.execPath, fileURLToPath(import.meta.url), '--inner', graceMs, command, ...args].map(shellWord).join(' ')}`;
  const child = spawn('script', ['-qefc', inner, '/dev/null'], { stdio: ['ignore', 'pipe', 'inherit', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } });
  const text = new TerminalText();
  // edgebuild gone: nobody reads our stdout; an EPIPE must not end this process before the session is stopped.
  process.stdout.on('error', ignore);
  child.stdout.on('data', (chunk) => {
    if (!process.stdout.write(text.push(chunk))) {
      child.stdout.pause();
      process.stdout.once('drain', () => child.stdout.resume());
    }
  });
  child.stdout.once('end', () => process.stdout.write(text.end()));
  child.stdio[3].on('error', ignore);
  child.stdio[3].on('data', (data) => {
    if (session !== undefined) return;
    session = Number.parseInt(data.toString(), 10);
    if (sessionTerm || orphaned) signalSession('SIGTERM');
  });
  return child;
}

/** Processes of group `pgid` other than this one (/proc; Linux, where the pty is used). */
function othersInGroup(pgid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * After the build: SIGTERM to what is left of the pty session (--pty: the
 * inner supervisor's group; --inner: our own group, this process aside),
 * SIGKILL after the grace period.
 */
async function stopLeftovers() {
  const pgid = mode === '--inner' ? process.pid : session;
  if (pgid === undefined) return;
  const left = () => (mode === '--inner' ? othersInGroup(pgid).length > 0 : signalGroup(0, pgid));
  if (!left()) return;
  signalGroup('SIGTERM', pgid);
  const until = Date.now() + graceMs;
  while (left()) {
    if (Date.now() > until) {
      if (mode === '--inner') for (const pid of othersInGroup(pgid)) process.kill(pid, 'SIGKILL');
      else signalGroup('SIGKILL', pgid);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const build = spawnBuild();
build.on('error', (error) => {
  process.stderr.write(`edgebuild: cannot run ${command}: ${error.message}\n`);
  process.exit(127);
});
build.on('exit', async (code, signal) => {
  if (orphaned) return; // the grace timer ends everything
  await stopLeftovers();
  if (mode === '--pty') await new Promise((resolve) => (build.stdout.readableEnded ? resolve() : build.stdout.once('end', resolve)));
  if (signal) {
    process.off('SIGTERM', onTerm);
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0)); // only if that signal is ignored
  }
  process.exit(code ?? 1);
});

// edgebuild-build-supervisor: runs a build so that it cannot outlive edgebuild.
//
//   node edgebuild-build-supervisor.mjs <grace-ms> <command> [args...]
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
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Socket } from 'node:net';

const [graceArg, command, ...args] = process.argv.slice(2);
const graceMs = Number(graceArg);
if (!command || !Number.isFinite(graceMs)) {
  process.stderr.write('usage: edgebuild-build-supervisor.mjs <grace-ms> <command> [args...]\n');
  process.exit(2);
}

function signalGroup(signal) {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // nobody left
  }
}

// A group-wide SIGTERM (edgebuild stopping the build) reaches this process too:
// it waits for the build to end and reports how it ended instead of dying first.
const ignore = () => undefined;
process.on('SIGTERM', ignore);

let orphaned = false;
function edgebuildGone() {
  if (orphaned) return;
  orphaned = true;
  signalGroup('SIGTERM');
  // Ends this process too; until then it stays, to kill what ignores SIGTERM.
  setTimeout(() => signalGroup('SIGKILL'), graceMs);
}

const lifeline = new Socket({ fd: 3, readable: true, writable: false });
lifeline.on('data', ignore);
lifeline.on('end', edgebuildGone);
lifeline.on('error', edgebuildGone);

const build = spawn(command, args, { stdio: 'inherit' });
build.on('error', (error) => {
  process.stderr.write(`edgebuild: cannot run ${command}: ${error.message}\n`);
  process.exit(127);
});
build.on('exit', (code, signal) => {
  if (orphaned) return; // the grace timer ends everything
  if (signal) {
    process.off('SIGTERM', ignore);
    process.kill(process.pid, signal);
    process.exit(128 + (constants.signals[signal] ?? 0)); // only if that signal is ignored
  }
  process.exit(code ?? 1);
});

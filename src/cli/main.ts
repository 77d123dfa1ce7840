// The `switchyard` executable: picks the command and turns outcomes into exit codes.
// Commands are thin: each parses its flags and calls the one processor (src/krm/process.ts).
import { basename } from 'node:path';
import { runApply } from './apply.ts';
import { runCanary } from './canary.ts';
import { runCheck } from './check.ts';
import { runDiff } from './diff.ts';
import { runExplain } from './explain.ts';
import { runFn } from './fn.ts';
import { runFragment } from './fragment.ts';
import { FN_HELP, MAIN_HELP, PLUGIN_HELP, RENDER_HELP } from './help.ts';
import { InputError, printResults, readStdin, stdinIsTerminal, UsageError } from './io.ts';
import { runKustomizePlugin } from './kustomize-plugin.ts';
import { runPrune } from './prune.ts';
import { runReconcile } from './reconcile.ts';
import { parseFlags, parseNow } from './args.ts';
import { runRender } from './render.ts';
import { parseRenderOutput, runRenderSummary } from './render-summary.ts';
import { VERSION } from './version.ts';
import { renderJson } from './output-json.ts';

const NOW_OPTION = { now: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

function run(argv: string[], invokedAs: string): number | Promise<number> {
  // kustomize calls a plugin by its path, with the config file as the only argument.
  if (invokedAs === 'RoutingPolicy') return runKustomizePlugin(argv[0] ?? '', readStdin(), new Date());

  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      if (stdinIsTerminal()) {
        process.stderr.write(`${MAIN_HELP}\n`);
        return 2;
      }
      return runFn(readStdin(), new Date());
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${MAIN_HELP}\n`);
      return 0;
    case '-v':
    case '--version':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case 'fn': {
      const { values, positionals } = parseFlags(rest, NOW_OPTION);
      if (values.help) return help(FN_HELP);
      if (positionals.length > 0) throw new UsageError(`fn takes no arguments (got ${positionals.join(' ')}); it reads a ResourceList on stdin.`);
      return runFn(readStdin(), parseNow(values.now));
    }
    case 'render': {
      const { values, positionals } = parseFlags(rest, { ...NOW_OPTION, policy: { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, output: { type: 'string', short: 'o' } });
      if (values.help) return help(RENDER_HELP);
      if (positionals.length === 0) throw new UsageError('render needs at least one PATH (a file, a folder, or - for stdin).');
      const format = parseRenderOutput(values.output);
      if (format !== 'yaml') {
        return runRenderSummary({ paths: positionals, ...(values.policy !== undefined ? { policy: values.policy } : {}), now: parseNow(values.now), quiet: values.quiet === true }, format === 'json' ? renderJson : undefined);
      }
      return runRender({ paths: positionals, ...(values.policy !== undefined ? { policy: values.policy } : {}), now: parseNow(values.now), quiet: values.quiet === true });
    }
    case 'kustomize-plugin': {
      const { values, positionals } = parseFlags(rest, NOW_OPTION);
      if (values.help) return help(PLUGIN_HELP);
      if (positionals.length !== 1) throw new UsageError('kustomize-plugin takes one CONFIG file.');
      return runKustomizePlugin(positionals[0]!, readStdin(), parseNow(values.now));
    }
    case 'reconcile':
      return runReconcile(rest);
    case 'apply':
      return runApply(rest);
    case 'fragment':
      return runFragment(rest);
    case 'prune':
      return runPrune(rest);
    case 'explain':
      return runExplain(rest);
    case 'check':
      return runCheck(rest);
    case 'diff':
      return runDiff(rest);
    case 'canary':
      return runCanary(rest);
    default:
      throw new UsageError(`unknown command ${command}; the commands are render, fragment, prune, explain, check, diff, canary, fn, kustomize-plugin, apply and reconcile.`);
  }
}

function help(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

async function main(): Promise<void> {
  let code: number;
  try {
    code = await run(process.argv.slice(2), basename(process.argv[1] ?? ''));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`switchyard: ${error.message}\nRun switchyard --help for usage.\n`);
      code = 2;
    } else if (error instanceof InputError) {
      printResults([{ severity: 'error', message: error.message }]);
      code = 1;
    } else {
      // A bug: show everything, so that it can be reported.
      process.stderr.write(`switchyard ${VERSION}: internal error; please report it with this trace.\n${(error as Error)?.stack ?? String(error)}\n`);
      code = 70;
    }
  }
  process.exitCode = code;
}

void main();

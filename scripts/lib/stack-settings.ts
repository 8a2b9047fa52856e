/**
 * The settings a tool acting on AWS uses when its flags do not say: those the stack is
 * synthesized with from this checkout (cdk.json's context, validated as `cdk synth` does).
 * Against local mode, the tools read the running runtime's own (`.local/runtime.json`) instead.
 */
import { cdkJsonContext } from '../../lib/app';
import { type CallEventsConfig, parseConfig } from '../../lib/config';

export function stackSettings(): CallEventsConfig {
  return parseConfig(cdkJsonContext());
}

/**
 * The `diagnose` step's work: for every training step among the inputs (a step that wrote
 * `metrics.jsonl`), the learning verdict from its d_t/r_t series and the sampling verdict — toy
 * runs from their own landscape KLs (`kl_true_ebm`, `kl_true_kde` in `metrics.json`), image runs
 * from the long-run step the config pairs them with (`longrun: { <train id>: <long-run id> }`,
 * its `final_states.safetensors` against the dataset input under the training step's
 * `checkpoint.safetensors`), otherwise "not assessed".
 *
 * @example
 * ```ts ignore
 * import { diagnoseInputs } from "./diagnose.ts";
 * const diagnosis = await diagnoseInputs(ctx.inputs, config, ctx.log);
 * ```
 * @module
 */
import { fileLookups, type Logger, type StepInput } from "../task.ts";
import { exists, readJson } from "../util/fs.ts";
import { METRICS_LOG_FILE, readTrainingSeries } from "../artifacts/metrics_log.ts";
import { findDatasetInput } from "../train/task_io.ts";
import { readImageDataset } from "../data/dataset_file.ts";
import { CHECKPOINT_FILE, readCheckpoint } from "../artifacts/checkpoint.ts";
import { FINAL_STATES_FILE, readFinalStates } from "../artifacts/sampling_records.ts";
import { createNet } from "../nets/net.ts";
import { type Diagnosis, evidenceEntry } from "./file.ts";
import { type DiagnosisThresholds, type Evidence, imageSamplingVerdict, learningVerdict, type SamplingLabel, toySamplingVerdict } from "./rules.ts";
import { measureLongrun } from "./image_evidence.ts";

/** The diagnosis plus the flat metrics (`<run>.learning`, `<run>.sampling`, `<run>.<evidence key>`). */
export interface DiagnoseResult {
  diagnosis: Diagnosis;
  metrics: Record<string, number | string | null>;
}

async function imageSampling(trainInput: StepInput, longrunInput: StepInput, inputs: StepInput[], t: DiagnosisThresholds) {
  const statesPath = `${longrunInput.dir}/${FINAL_STATES_FILE}`;
  if (!(await exists(statesPath))) throw new Error(`Cannot diagnose '${trainInput.id}': its long-run step '${longrunInput.id}' has no ${FINAL_STATES_FILE}`);
  const states = await readFinalStates(statesPath);
  const path = `${trainInput.dir}/${CHECKPOINT_FILE}`;
  const checkpoint = await readCheckpoint(path);
  const dataset = await readImageDataset(findDatasetInput(fileLookups(inputs)));
  const net = createNet(checkpoint.shape.net_type, checkpoint.shape, 0);
  try {
    net.loadStateDict(checkpoint.stateDict, `'${path}'`);
    return imageSamplingVerdict(measureLongrun(net, dataset, states.data, t), t);
  } finally {
    net.dispose();
  }
}

/** Diagnoses every training step among `inputs` (see the module doc). */
export async function diagnoseInputs(inputs: StepInput[], config: DiagnosisThresholds & { longrun: Record<string, string> }, log: Logger): Promise<DiagnoseResult> {
  const byId = new Map(inputs.map((i) => [i.id, i]));
  for (const [trainId, longrunId] of Object.entries(config.longrun)) {
    for (const id of [trainId, longrunId]) {
      if (!byId.has(id)) throw new Error(`Cannot read config 'longrun': '${id}' is not among this step's inputs (${inputs.map((i) => i.id).join(", ") || "none"}); add it to 'needs'`);
    }
  }
  const diagnosis: Diagnosis = {};
  const metrics: Record<string, number | string | null> = {};
  for (const input of inputs) {
    const logPath = `${input.dir}/${METRICS_LOG_FILE}`;
    if (!(await exists(logPath))) continue;
    const series = await readTrainingSeries(logPath);
    const learning = learningVerdict(series.d, series.r, config);
    const summary = (await exists(`${input.dir}/metrics.json`)) ? await readJson<Record<string, unknown>>(`${input.dir}/metrics.json`) : {};
    let sampling: { label: SamplingLabel; evidence: Evidence[] } = { label: "not assessed", evidence: [] };
    if (typeof summary.kl_true_ebm === "number" && typeof summary.kl_true_kde === "number") {
      sampling = toySamplingVerdict(summary.kl_true_ebm, summary.kl_true_kde, config);
    } else if (config.longrun[input.id]) {
      sampling = await imageSampling(input, byId.get(config.longrun[input.id])!, inputs, config);
    }
    const evidence = [...learning.evidence, ...sampling.evidence];
    diagnosis[input.id] = { learning: learning.label, sampling: sampling.label, evidence: evidence.map(evidenceEntry) };
    metrics[`${input.id}.learning`] = learning.label;
    metrics[`${input.id}.sampling`] = sampling.label;
    for (const e of evidence) metrics[`${input.id}.${e.key}`] = e.value !== null && Number.isFinite(e.value) ? e.value : null;
    const failed = evidence.filter((e) => !e.passed).map((e) => e.test);
    log.info(`${input.id}: learning ${learning.label}, sampling ${sampling.label}${failed.length ? ` (failed: ${failed.join("; ")})` : ""}`);
  }
  if (Object.keys(diagnosis).length === 0) {
    throw new Error(`Cannot diagnose: no input wrote metrics.jsonl (inputs: ${inputs.map((i) => `${i.id} (${i.task})`).join(", ") || "none"}); add the training steps to 'needs'`);
  }
  return { diagnosis, metrics };
}

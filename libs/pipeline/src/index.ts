/**
 * @maskgen/pipeline: the whole model life cycle as plain async functions (no NestJS), shared by the worker's train
 * and generation jobs and `npm run report`.
 *
 *   const data = prepareDataset(loadDatasetByName('GunPoint'));            // or any TrainTestDataset
 *   const opts = { profile: 'cpu', seed: 1 };                               // 'tiny' | 'cpu' | 'paper'
 *   const s1 = await trainStage1Stage(data, {}, opts, { signal, onProgress });
 *   const pr = await trainPriorStage(data, { stage1: s1.checkpoint }, opts, ctx);
 *   const cr = await calibrateCriticStage(data, { stage1: s1.checkpoint, prior: pr.checkpoint }, opts, ctx);
 *   const cl = await trainClassifierStage(data, {}, opts, ctx);            // metrics.testAccuracy
 *   const model = loadPipelineModel({ stage1, prior, critic, classifier });  // checkpoint bytes only
 *   const out = await model.generate({ method: 'ess', count: 64, classes: null, seed: 7 });
 *   out.series;  // data units; out.scaled: model units; out.tStar[i]
 *   out.critic[i].summary;  // mean/max code distance; .scores.lf.{before,after,remasked}: per-token grids
 *   const m = await evaluateGenerated({ classifier: model.classifier!, data, generated: out.scaled, seed: 0 });
 *   model.dispose();
 *
 * Every stage is seeded (same seed → same checkpoint bytes), yields between steps, honours the AbortSignal (an
 * abort rejects; no checkpoint) and awaits onProgress({ stage, step, totalSteps, loss }). See libs/pipeline/README.md.
 */
export * from './checkpoints';
export * from './data';
export * from './evaluate';
export * from './model';
export * from './profiles';
export * from './stages';

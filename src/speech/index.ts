export { pocketsphinxEngine, negationAware, type SpeechEngine, type SpeechFinding, type Phrases, type FindingKind } from './engine.ts';
export { speechAdvisor, verdictOf, type Match } from './advisor.ts';
export { selectEngine, pocketsphinxModelHash, DEBIAN_EN_US, type Selected } from './select.ts';
export { sherpaEngine, sherpaRuntime } from './sherpa.ts';
export { importModel, checkModel, listModels, bundleHash, layoutOf, modelDir, modelsDir, MANIFEST, type ImportResult, type ModelManifest, type ModelLayout } from './models.ts';
export { SWITCHES, UNLOCK_KIND, isSwitch, switchesOf, switchedOn, setSwitch, lockSwitches, requestUnlock, worksCouncilKinds, type Switch, type Switches } from './works-council.ts';
export { findingsOf, listFindings, reviewFinding, speechReviewOps, type Finding, type ReviewDeps, type ReviewOutcome, type SpeechReviewOps } from './review.ts';
export { speechStatus, statusLines, type SpeechStatus } from './status.ts';

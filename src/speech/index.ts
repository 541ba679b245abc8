export { pocketsphinxEngine, sherpaEngine, negationAware, type SpeechEngine, type SpeechFinding, type Phrases, type FindingKind } from './engine.ts';
export { speechAdvisor, verdictOf, pocketsphinxModelHash, type Match } from './advisor.ts';

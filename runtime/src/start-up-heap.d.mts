// Types for start-up-heap.mjs, which stays plain JavaScript (see its header).
export declare const OLD_GENERATION_GROWTH_PERCENT: number;
export declare function operatorHeapFlags(): { young: boolean; old: boolean };
export declare function applyStartUpHeapFlags(): void;

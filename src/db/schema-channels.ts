// Channel configuration tables (one config per agent, encrypted secrets).
export {};

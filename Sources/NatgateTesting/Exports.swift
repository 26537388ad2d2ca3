// `import NatgateTesting` is enough for a golden-rule test: `GoldenRules` takes `Gateway`s and a
// `Family`, and a test reads its policy with `PolicyFile.decode`, so the modules that define them
// (NatgatePolicy and NatgateModel, both C-free like this one) come along.
@_exported import NatgateModel
@_exported import NatgatePolicy

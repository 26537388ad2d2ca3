// What `import NatgateEngine` (and so `import Natgate`, which re-exports this module) brings with
// it: the modules whose types the engine's public signatures name.
//
// Why re-export rather than move the types here: `Gateway`, `GatewaySet`, `IPNetwork`,
// `InterfaceName`, `Family`, `TableName` and the rest are the vocabulary of every call on
// `GatewayController` (`enable(_: Gateway)`, `Plan.TableChange.table`, `Report.gateways`), but they
// also belong where they are: NatgateModel and NatgatePolicy build and test on macOS, without the
// engine, and NatgateTesting uses them alone. Moving them would split that vocabulary from the
// modules that define its behaviour; re-exporting keeps each type in one module and lets an
// embedder write one import. NatgateSysctl comes along for `Forwarding` and `ForwardingOutcome`,
// which `GatewayController(store:forwarding:logger:)` and `ForwardingChange` name. None of the
// three links a C library, so the engine stays C-free.
@_exported import NatgateModel
@_exported import NatgatePolicy
@_exported import NatgateSysctl

// `import Natgate` gives the whole façade: the change engine and the in-memory store
// (NatgateEngine, C-free, which itself re-exports NatgateModel, NatgatePolicy and NatgateSysctl:
// gateways, networks, interface names, tables) with the kernel store on libiptc and the nf_tables
// status from here.
//
// NatgateKernel is re-exported too because this module's own public signatures name its types:
// `KernelRuleStore(namespace:logger:lock:intentLog:)` takes a `NetworkNamespace` and an
// `XtablesLock`, and `EntryChains` holds `EntryList`s. The common job does not need them
// (`GatewayController.kernel(namespace:)` takes the namespace's name), but a signature should never
// name a type its module's users cannot spell without a second import.
@_exported import NatgateEngine
@_exported import NatgateKernel

// `import Natgate` gives the whole façade: the change engine and the in-memory store
// (NatgateEngine, C-free) with the kernel store on libiptc and the nf_tables status from here.
@_exported import NatgateEngine

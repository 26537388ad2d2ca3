// The suites see the workloads through this module, which also holds their shared configuration.
@_exported import Workloads

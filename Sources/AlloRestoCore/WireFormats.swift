// The low-level pieces the restaurant domain shares with the SIP bridge (JSON, checked numbers, E.164 phone
// numbers) live in `WireFormats`; every module that imports `AlloRestoCore` sees them as before.
@_exported import WireFormats

// The open-file cache and path lookups are internal; their unit tests need them.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("PyHost.Http.Tests")]

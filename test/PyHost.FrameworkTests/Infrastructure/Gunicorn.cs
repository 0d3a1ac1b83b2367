namespace PyHost.FrameworkTests.Infrastructure;

/// <summary>The reference server: Debian's gunicorn package, which runs under /usr/bin/python3 like the examples.</summary>
public static class Gunicorn
{
    public const string Executable = "/usr/bin/gunicorn";

    public const string DebianPackage = "gunicorn";
}

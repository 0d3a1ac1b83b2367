namespace PyHost.FrameworkTests.Compatibility;

/// <summary>
/// A row of docs/compatibility.md: what is served, from which Debian package (and the others it needs, such as
/// python3-pastedeploy), or why it is not tested.
/// </summary>
public sealed record FrameworkRow(
    string Name,
    string Section,
    string? DebianPackage,
    string? PythonDistribution,
    string? Example,
    string? NotTestedBecause = null,
    IReadOnlyList<string>? AlsoPackages = null);

/// <summary>Every row, in the order the report lists them.</summary>
public static class FrameworkRows
{
    public const string FrameworksSection = "Frameworks";
    public const string AsgiSection = "ASGI frameworks (reference: uvicorn)";
    public const string ServingSection = "Serving";

    public static readonly FrameworkRow Django = new("Django", FrameworksSection, "python3-django", "Django", "examples/django");
    public static readonly FrameworkRow Flask = new("Flask", FrameworksSection, "python3-flask", "Flask", "examples/flask");
    public static readonly FrameworkRow Pyramid = new(
        "Pyramid (PasteDeploy ini)", FrameworksSection, "python3-pyramid", "pyramid", "examples/pyramid", AlsoPackages: ["python3-pastedeploy"]);
    public static readonly FrameworkRow Bottle = new("Bottle", FrameworksSection, "python3-bottle", "bottle", "examples/bottle");
    public static readonly FrameworkRow Falcon = new("Falcon", FrameworksSection, "python3-falcon", "falcon", "examples/falcon");
    public static readonly FrameworkRow PyWps = new("pyWPS", FrameworksSection, "python3-pywps", "pywps", "examples/pywps");
    public static readonly FrameworkRow Zope = new(
        "Zope", FrameworksSection, DebianPackage: null, PythonDistribution: "Zope", Example: null,
        NotTestedBecause: "not packaged in Debian 12. Debian ships Zope's libraries (python3-zope.interface, " +
                          "python3-zope.component, ...) but not the Zope application server, which is only on PyPI");

    public static readonly FrameworkRow FastApi = new("FastAPI", AsgiSection, "python3-fastapi", "fastapi", "examples/fastapi", AlsoPackages: ["python3-multipart"]);
    public static readonly FrameworkRow Starlette = new("Starlette", AsgiSection, "python3-starlette", "starlette", "examples/starlette");
    public static readonly FrameworkRow Quart = new("Quart", AsgiSection, "python3-quart", "quart", "examples/quart");
    public static readonly FrameworkRow DjangoAsgi = new("Django (asgi.py)", AsgiSection, "python3-django", "Django", "examples/django");

    public static readonly FrameworkRow AppDetection = new("App detection (no APP)", ServingSection, DebianPackage: null, PythonDistribution: null, Example: "examples/*");
    public static readonly FrameworkRow Virtualenv = new("Virtualenv (--system-site-packages)", ServingSection, "python3-venv", PythonDistribution: null, Example: "examples/flask");

    public static readonly IReadOnlyList<FrameworkRow> All = [Django, Flask, Pyramid, Bottle, Falcon, PyWps, Zope, FastApi, Starlette, Quart, DjangoAsgi, AppDetection, Virtualenv];
}

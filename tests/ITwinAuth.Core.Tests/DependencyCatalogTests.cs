using System.Reflection;
using ITwinAuth.Core.Loading;
using Xunit;

namespace ITwinAuth.Core.Tests;

/// <summary>The Windows PowerShell build's resolve rule, on a private folder holding a real assembly.</summary>
public sealed class DependencyCatalogTests : IDisposable
{
    private readonly string _module = Directory.CreateTempSubdirectory("itwinauth-module-").FullName;
    private readonly string _shipped;
    private readonly AssemblyName _name;

    public DependencyCatalogTests()
    {
        var dependencies = Directory.CreateDirectory(Path.Combine(_module, "dependencies")).FullName;
        var source = typeof(Assert).Assembly.Location;
        _shipped = Path.Combine(dependencies, Path.GetFileName(source));
        File.Copy(source, _shipped);
        _name = AssemblyName.GetAssemblyName(_shipped);
    }

    public void Dispose() => Directory.Delete(_module, recursive: true);

    private DependencyCatalog Catalog() => new(_module, Path.Combine(_module, "dependencies"));

    private AssemblyName Requested(Version version) => new(_name.Name!) { Version = version };

    [Fact]
    public void Lists_the_assemblies_of_the_dependencies_folder() =>
        Assert.Equal(new[] { _name.Name! }, Catalog().Names);

    [Fact]
    public void Our_own_assemblies_get_our_copy_whatever_version_they_name()
    {
        var requester = Path.Combine(_module, "ITwinAuth.Core.dll");
        Assert.Equal(_shipped, Catalog().Resolve(Requested(new Version(1, 0, 0, 0)), requester));
        Assert.Equal(_shipped, Catalog().Resolve(Requested(_name.Version!), Path.Combine(_module, "dependencies", "Other.dll")));
    }

    [Fact]
    public void Another_module_gets_our_copy_only_for_exactly_our_version()
    {
        var foreign = Path.Combine(Path.GetTempPath(), "OtherModule", "bin", "Other.dll");
        Assert.Equal(_shipped, Catalog().Resolve(Requested(_name.Version!), foreign));
        Assert.Null(Catalog().Resolve(Requested(new Version(1, 0, 0, 0)), foreign));
        Assert.Null(Catalog().Resolve(Requested(new Version(1, 0, 0, 0)), null));
    }

    [Fact]
    public void A_folder_that_merely_starts_like_ours_is_not_ours()
    {
        var lookalike = _module + "-evil" + Path.DirectorySeparatorChar + "Other.dll";
        Assert.Null(Catalog().Resolve(Requested(new Version(1, 0, 0, 0)), lookalike));
    }

    [Fact]
    public void Unknown_names_are_left_to_others() =>
        Assert.Null(Catalog().Resolve(new AssemblyName("Not.Shipped") { Version = new Version(1, 0) }, Path.Combine(_module, "ITwinAuth.dll")));
}

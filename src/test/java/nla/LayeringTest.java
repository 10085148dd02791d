package nla;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Holds the layering of DESIGN.md: dependencies point downward only. */
class LayeringTest {
  private static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("nla");

  @Test
  void dependenciesPointDownwardOnly() {
    layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .withOptionalLayers(true)
        .layer("cli")
        .definedBy("nla.cli..")
        .layer("serve")
        .definedBy("nla.serve..")
        .layer("study")
        .definedBy("nla.study..")
        .layer("core")
        .definedBy("nla.core..")
        .layer("data")
        .definedBy("nla.data..")
        .layer("model")
        .definedBy("nla.model..")
        .layer("backend")
        .definedBy("nla.backend..")
        .layer("base")
        .definedBy("nla.io..", "nla.text..")
        .layer("linalg")
        .definedBy("nla.linalg..")
        .whereLayer("cli")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("serve")
        .mayOnlyBeAccessedByLayers("cli")
        .whereLayer("study")
        .mayOnlyBeAccessedByLayers("cli", "serve")
        .whereLayer("core")
        .mayOnlyBeAccessedByLayers("cli", "serve", "study")
        .whereLayer("data")
        .mayOnlyBeAccessedByLayers("cli", "serve", "study", "core")
        .whereLayer("model")
        .mayOnlyBeAccessedByLayers("cli", "serve", "study", "core", "data")
        .whereLayer("backend")
        .mayOnlyBeAccessedByLayers("cli", "serve", "study", "core", "data", "model")
        .whereLayer("linalg")
        .mayOnlyBeAccessedByLayers("cli", "serve", "study", "core", "data", "model", "backend")
        .check(CLASSES);
  }

  /**
   * Linear algebra sits below everything that computes (the engine's tile, the §8 fits): it knows
   * no layer of the project but the base formats.
   */
  @Test
  void linearAlgebraDependsOnNothingAboveIt() {
    noClasses()
        .that()
        .resideInAPackage("nla.linalg..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "nla.cli..",
            "nla.serve..",
            "nla.study..",
            "nla.core..",
            "nla.data..",
            "nla.model..",
            "nla.backend..")
        .check(CLASSES);
  }

  /**
   * The model and everything above it reach a device through {@code nla.backend}'s interfaces and
   * its one factory ({@code Backends}); a concrete backend is named only inside {@code
   * nla.backend}.
   */
  @Test
  void onlyTheBackendLayerNamesAConcreteBackend() {
    noClasses()
        .that()
        .resideOutsideOfPackage("nla.backend..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("nla.backend.cuda..", "nla.backend.cpu..")
        .check(CLASSES);
  }
}

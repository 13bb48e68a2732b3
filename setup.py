"""Ship the catalog's templates (the top-level `templates/` folder) inside the wheel as
`modelyard/templates/`. Everything else about the package is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TEMPLATES = Path(__file__).parent / "templates"


class BuildWithTemplates(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "modelyard" / "templates"
        for source in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
            dest = target / source.relative_to(TEMPLATES)
            self.mkpath(str(dest.parent))
            self.copy_file(str(source), str(dest))


setup(cmdclass={"build_py": BuildWithTemplates})

from configparser import ConfigParser
import setuptools

assert int(setuptools.__version__.split(".")[0]) >= 36, "please upgrade setuptools"

config = ConfigParser(delimiters=["="])
config.read("settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

for key in "version description keywords author author_email".split():
    assert key in cfg, f"missing {key} in settings.ini"

licenses = {"apache2": ("Apache Software License 2.0", "OSI Approved :: Apache Software License")}
statuses = ["1 - Planning", "2 - Pre-Alpha", "3 - Alpha", "4 - Beta", "5 - Production/Stable", "6 - Mature", "7 - Inactive"]
py_versions = "3.10 3.11 3.12 3.13".split()

lic = licenses.get(cfg["license"].lower(), (cfg["license"], None))
min_python = cfg["min_python"]
requirements = cfg.get("requirements", "").split()
dev_requirements = cfg.get("dev_requirements", "").split()
spark_requirements = cfg.get("spark_requirements", "").split()
auto_requirements = cfg.get("auto_requirements", "").split()
onnx_requirements = cfg.get("onnx_requirements", "").split()
files_requirements = cfg.get("files_requirements", "").split()

setuptools.setup(
    name=cfg["lib_name"],
    license=lic[0],
    classifiers=[
        "Development Status :: " + statuses[int(cfg["status"])],
        "Intended Audience :: " + cfg["audience"].title(),
        "Natural Language :: " + cfg["language"].title(),
    ]
    + [f"Programming Language :: Python :: {v}" for v in py_versions[py_versions.index(min_python):]]
    + ([f"License :: {lic[1]}"] if lic[1] else []),
    url=cfg["git_url"],
    packages=setuptools.find_packages(exclude=["nbs", "bench", "examples"]),
    include_package_data=True,
    package_data={cfg["lib_name"]: ["data/*"]},
    install_requires=requirements,
    extras_require={"dev": dev_requirements, "spark": spark_requirements, "auto": auto_requirements, "onnx": onnx_requirements, "files": files_requirements},
    python_requires=">=" + min_python,
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    zip_safe=False,
    entry_points={"nbdev": [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
    version=cfg["version"],
    description=cfg["description"],
    keywords=cfg["keywords"],
    author=cfg["author"],
    author_email=cfg["author_email"],
)

from heng.cli import main

raise SystemExit(main())

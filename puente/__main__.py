from puente.cli.main import main

# Guarded: the chart workers (puente/indicators/drawing.py) are spawned processes, which
# import the parent's main module; unguarded, each would run the command line again.
if __name__ == "__main__":
    main()

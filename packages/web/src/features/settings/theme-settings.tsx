import { useId, useState } from 'react';
import { applyTheme, storedTheme, type Theme } from '../../lib/theme.ts';
import '../../components/forms.css';
import './settings.css';

const CHOICES: Array<{ value: Theme; label: string }> = [
  { value: 'system', label: 'Same as the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** Light or dark, or following the system (the default); applied at once, kept in this browser. */
export function ThemeSettings() {
  const [theme, setTheme] = useState<Theme>(storedTheme);
  const name = useId();
  return (
    <fieldset className="stack theme-settings">
      <legend>Appearance</legend>
      {CHOICES.map((choice) => (
        <label key={choice.value} className="gov-radio">
          <input
            type="radio"
            name={name}
            value={choice.value}
            checked={theme === choice.value}
            onChange={() => {
              setTheme(choice.value);
              applyTheme(choice.value);
            }}
          />{' '}
          {choice.label}
        </label>
      ))}
    </fieldset>
  );
}
